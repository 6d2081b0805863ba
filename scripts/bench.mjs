// `npm run bench`: each benchmark prints its numbers and ratios against a baseline measured in
// the same run. They need the keychain session `npm test` uses (scripts/with-keyring.sh).
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
execFileSync(process.execPath, [join(root, 'scripts/build-web.mjs')], { stdio: 'inherit' });
const only = process.argv[2];
for (const file of readdirSync(join(root, 'bench')).filter((f) => f.endsWith('.ts')).sort()) {
  if (only && !file.includes(only)) continue;
  console.log(`\n== ${file}`);
  execFileSync(process.execPath, [join(root, 'bench', file)], { stdio: 'inherit', cwd: root });
}
