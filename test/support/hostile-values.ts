import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Values that must stay one value on their way to a server: each tries to run `touch <marker>`
 * through a shell (command substitution, backticks, quotes, `;`, `&`, `|`, redirection, line
 * breaks of every kind), to expand (`$`, `~`, Caddy's `{$VAR}`), to add a Caddy site block, or to
 * escape the quoting (a trailing backslash, a percent-escape of `$`). A test meets each one the
 * way the server would and then asks the marker folder whether anything ran.
 */
export function hostileValues(marker: string): string[] {
  return [
    `$(touch ${marker})`,
    `\`touch ${marker}\``,
    `a'; touch ${marker}; '`,
    `a"; touch ${marker}; "`,
    `a b`,
    `a;touch ${marker}`,
    `a\ntouch ${marker}`,
    `a\r\ntouch ${marker}`,
    `a\u2028touch ${marker}`,
    `a&touch ${marker}`,
    `a|touch ${marker}`,
    `a>${marker}`,
    `%24(touch ${marker})`,
    `{$HOME}`,
    `a}\n*.evil.example {`,
    `\${PATH}`,
    `~root`,
    `a\\`,
  ];
}

/** A folder for the marker, and what ran: `touch marker.` (a comment's full stop) counts too. */
export function markerFolder(): { marker: string; ran: () => string[]; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-hostile-'));
  return {
    marker: join(dir, 'pwned'),
    ran: () => readdirSync(dir).filter((name) => name.startsWith('pwned')),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
