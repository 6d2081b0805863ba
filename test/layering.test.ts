import { ESLint } from 'eslint';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The layering DESIGN.md draws is enforced by lint, so `npm test` fails the moment core or
// shared imports Electron, or the renderer reaches past window.hearth. These prove the rules bite.

const eslint = new ESLint({ cwd: fileURLToPath(new URL('../', import.meta.url)) });

async function problems(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).map((m) => `${m.ruleId}: ${m.message}`);
}

describe('layering rules', () => {
  it('refuses electron in src/core and src/shared', async () => {
    expect(await problems('src/core/secrets/leak.ts', "import { app } from 'electron';\nexport const x = app;\n")).toEqual([
      expect.stringMatching(/no-restricted-imports: .*plain Node/),
    ]);
    expect(await problems('src/shared/leak.ts', "import { ipcMain } from 'electron';\nexport const x = ipcMain;\n")).toEqual([
      expect.stringMatching(/no-restricted-imports/),
    ]);
  });

  it('refuses core, main and Node built-ins in the renderer', async () => {
    const fromCore = await problems('src/renderer/screens/Leak.tsx', "import { createApp } from '../../core/app.ts';\nexport const x = createApp;\n");
    expect(fromCore).toEqual([expect.stringMatching(/no-restricted-imports: .*window\.hearth/)]);
    const fromMain = await problems('src/renderer/Leak.tsx', "import { connectBridge } from '../main/bridge.ts';\nexport const x = connectBridge;\n");
    expect(fromMain).toEqual([expect.stringMatching(/no-restricted-imports/)]);
    const fromNode = await problems('src/renderer/Leak.tsx', "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n");
    expect(fromNode).toEqual([expect.stringMatching(/no-restricted-imports/)]);
  });

  it('refuses raw HTML in the renderer', async () => {
    const code = 'export const X = ({ t }: { t: string }) => <div dangerouslySetInnerHTML={{ __html: t }} />;\n';
    expect(await problems('src/renderer/Leak.tsx', code)).toEqual([expect.stringMatching(/Render untrusted text as text/)]);
  });

  it('allows the renderer to import the shared contract', async () => {
    const code = "import type { Server } from '../shared/contract/index.ts';\nexport const f = (s: Server) => s.name;\n";
    expect(await problems('src/renderer/ok.ts', code)).toEqual([]);
  });

  it('keeps core\'s domains in layers: no domain folder imports one that imports it back', () => {
    // Composition (app.ts, services.ts) sits above every domain; a domain that reaches up into
    // another that depends on it makes both impossible to understand, test or move alone.
    const core = fileURLToPath(new URL('../src/core/', import.meta.url));
    const domains = readdirSync(core, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
    const deps = new Map<string, Set<string>>();
    for (const domain of domains) {
      const uses = new Set<string>();
      for (const file of readdirSync(join(core, domain), { recursive: true, encoding: 'utf8' })) {
        if (!/\.tsx?$/.test(file) || file.endsWith('.test.ts')) continue;
        const depth = file.split('/').length; // ../ climbs out of the domain from this depth
        const up = '\\.\\./'.repeat(depth);
        for (const [, target] of readFileSync(join(core, domain, file), 'utf8').matchAll(new RegExp(`from '${up}([a-z-]+)/`, 'g'))) {
          if (target && target !== domain && domains.includes(target)) uses.add(target);
        }
      }
      deps.set(domain, uses);
    }
    const cycles: string[] = [];
    const visit = (node: string, path: string[]) => {
      if (path.includes(node)) return void cycles.push([...path.slice(path.indexOf(node)), node].join(' → '));
      for (const next of deps.get(node) ?? []) visit(next, [...path, node]);
    };
    for (const domain of domains) visit(domain, []);
    expect(cycles).toEqual([]);
    expect(deps.get('servers')).toEqual(new Set(['config']));
  });
});
