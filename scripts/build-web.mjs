// Builds what browser mode runs, each part only when it is older than its sources:
// the renderer (out/renderer) and the host with core bundled (out/web/main.js).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));

function newestMtime(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = 0;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

const targets = [
  { name: 'the Hearth window', output: 'out/renderer/index.html', config: 'vite.renderer.config.ts', sources: ['src/renderer', 'src/shared'] },
  { name: 'the browser-mode host', output: 'out/web/main.js', config: 'vite.web.config.ts', sources: ['src/web', 'src/core', 'src/shared'] },
];

export async function ensureWebBuilt({ force = false } = {}) {
  for (const target of targets) {
    const output = join(root, target.output);
    const sources = Math.max(...[...target.sources, target.config, 'package-lock.json'].map((p) => newestMtime(join(root, p))));
    if (!force && existsSync(output) && statSync(output).mtimeMs >= sources) continue;
    console.log(`Building ${target.name}…`);
    execFileSync(process.execPath, [join(root, 'node_modules/vite/bin/vite.js'), 'build', '--config', target.config, '--logLevel', 'warn'], {
      cwd: root,
      stdio: 'inherit',
    });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await ensureWebBuilt({ force: process.argv.includes('--force') });
}
