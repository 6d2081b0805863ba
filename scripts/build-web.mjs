// Builds the renderer for browser mode (out/renderer) unless it is newer than every source file.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const stamp = join(root, 'out/renderer/index.html');

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs);
  }
  return newest;
}

export async function ensureRendererBuilt({ force = false } = {}) {
  const sources = Math.max(
    newestMtime(join(root, 'src/renderer')),
    newestMtime(join(root, 'src/shared')),
    statSync(join(root, 'vite.renderer.config.ts')).mtimeMs,
  );
  if (!force && existsSync(stamp) && statSync(stamp).mtimeMs >= sources) return;
  console.log('Building the Hearth window…');
  execFileSync(process.execPath, [join(root, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'vite.renderer.config.ts', '--logLevel', 'warn'], {
    cwd: root,
    stdio: 'inherit',
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await ensureRendererBuilt({ force: process.argv.includes('--force') });
}
