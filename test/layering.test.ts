import { ESLint } from 'eslint';
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
});
