// Native modules are built for one runtime at a time. Hearth's own code uses only N-API modules
// (@napi-rs/keyring), which load in Node and Electron alike; but the sandbox's PDS needs
// better-sqlite3, whose binary is tied to one runtime's ABI. Under Electron the sandbox runs on
// Electron's own Node (ELECTRON_RUN_AS_NODE), so `npm start` makes sure the binary fits Electron,
// and `npm test` (plain Node 22) makes sure it fits Node. Switching costs one rebuild.
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { electronBinary } from './electron-binary.mjs';

const root = fileURLToPath(new URL('../', import.meta.url));
const runtime = process.argv[2];
const ifPresent = process.argv.includes('--if-present');
if (runtime !== 'node' && runtime !== 'electron') {
  console.error('usage: node scripts/ensure-native.mjs node|electron [--if-present]');
  process.exit(2);
}

const probe = "new (require('better-sqlite3'))(':memory:').close()";

function loads(command, env = {}) {
  const result = spawnSync(command, ['-e', probe], { cwd: root, env: { ...process.env, ...env }, stdio: 'ignore' });
  return result.status === 0;
}

if (runtime === 'node') {
  if (!loads(process.execPath)) {
    console.log('Rebuilding better-sqlite3 for Node…');
    execFileSync('npm', ['rebuild', 'better-sqlite3'], { cwd: root, stdio: 'inherit' });
  }
} else {
  const binary = electronBinary();
  if ('missing' in binary) {
    // After `npm install` without Electron (CI, ELECTRON_SKIP_BINARY_DOWNLOAD) there is nothing to
    // prepare; `npm start` itself cannot go on.
    if (ifPresent) process.exit(0);
    console.error(`Cannot start Hearth: ${binary.missing}. Run \`npm install\` with network access to download Electron.`);
    process.exit(1);
  }
  if (!loads(binary.path, { ELECTRON_RUN_AS_NODE: '1' })) {
    console.log('Rebuilding better-sqlite3 for Electron…');
    execFileSync('npx', ['electron-rebuild', '-f', '-o', 'better-sqlite3'], { cwd: root, stdio: 'inherit' });
  }
}
