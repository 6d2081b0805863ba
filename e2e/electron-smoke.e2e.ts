import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { _electron as electron } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { electronBinary } from '../scripts/electron-binary.mjs';
import { repoRoot } from './support/hearth-web.ts';

const binary = electronBinary();
const skipReason = 'missing' in binary ? binary.missing : '';
if (skipReason) {
  console.warn(`Electron smoke test skipped: ${skipReason}. It runs wherever \`npm install\` could download Electron.`);
}

describe.skipIf(Boolean(skipReason))('Electron app', () => {
  it('opens a locked-down window on the first-run screen', async () => {
    if ('missing' in binary) return;
    const userData = await mkdtemp(join(tmpdir(), 'hearth-electron-'));
    const app = await electron.launch({
      executablePath: binary.path,
      args: [join(repoRoot, 'out/main/index.js'), `--user-data-dir=${userData}`],
      env: { ...process.env, HEARTH_KEYCHAIN_SERVICE: `hearth-e2e-electron-${Date.now()}` },
    });
    try {
      const window = await app.firstWindow();
      await expect.poll(() => window.getByRole('button', { name: 'Try it on this computer' }).isVisible(), { timeout: 20_000 }).toBe(true);
      const prefs = await app.evaluate(({ BrowserWindow }) => {
        const win = BrowserWindow.getAllWindows()[0]!;
        type Prefs = { contextIsolation?: boolean; sandbox?: boolean; nodeIntegration?: boolean };
        const p = (win.webContents as unknown as { getLastWebPreferences(): Prefs | null }).getLastWebPreferences();
        return { contextIsolation: p?.contextIsolation, sandbox: p?.sandbox, nodeIntegration: p?.nodeIntegration };
      });
      expect(prefs).toEqual({ contextIsolation: true, sandbox: true, nodeIntegration: false });
      // The page has window.hearth and nothing of Node.
      expect(await window.evaluate(() => typeof (window as unknown as { hearth?: object }).hearth)).toBe('object');
      expect(await window.evaluate(() => typeof (globalThis as unknown as { require?: unknown }).require)).toBe('undefined');
    } finally {
      await app.close();
    }
  });
});
