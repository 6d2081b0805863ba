import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/** resources/host/: every file Hearth puts on a server, as a readable, versioned template. */
export const HOST_RESOURCES = fileURLToPath(new URL('../../../resources/host/', import.meta.url));

export async function readHostResource(name: string): Promise<string> {
  return readFile(`${HOST_RESOURCES}${name}`, 'utf8');
}

/**
 * Fills {{NAME}} placeholders. Every placeholder must have a value and no value may contain a
 * line break (a value could otherwise add lines to pds.env or the Caddyfile).
 */
export function renderTemplate(template: string, values: Record<string, string>): string {
  return template.replace(/\{\{([A-Z0-9_]+)\}\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`template value ${name} is missing`);
    if (/[\r\n]/.test(value) && name !== 'GLOBAL_OPTIONS' && name !== 'EXTRA') throw new Error(`template value ${name} has a line break`);
    return value;
  });
}
