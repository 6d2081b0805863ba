#!/usr/bin/env node
// Prints how much the "try it locally" sandbox adds to an installed app: the on-disk size of the
// installed dependency closure of @atproto/pds + @did-plc/server, minus every package the rest of
// the app's production dependencies also need. Walks node_modules the way Node resolves packages.
//
//   node scripts/sandbox-size.mjs [--json]
import { readFileSync, readdirSync, lstatSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SANDBOX_ROOTS = ['@atproto/pds', '@did-plc/server'];

const readJson = (path) => JSON.parse(readFileSync(path, 'utf8'));

/** The directory Node would load `name` from, starting at package directory `from`. */
function resolvePackage(name, from) {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dir === dirname(dir)) return null;
  }
}

/** Every package directory reachable from the given names (dependencies + optional + peer). */
function closure(names, from) {
  const seen = new Set();
  const queue = names.map((name) => resolvePackage(name, from)).filter(Boolean);
  while (queue.length) {
    const dir = queue.pop();
    if (seen.has(dir)) continue;
    seen.add(dir);
    const pkg = readJson(join(dir, 'package.json'));
    const optionalPeers = new Set(Object.entries(pkg.peerDependenciesMeta ?? {}).filter(([, m]) => m?.optional).map(([n]) => n));
    const deps = new Set([
      ...Object.keys(pkg.dependencies ?? {}),
      ...Object.keys(pkg.optionalDependencies ?? {}),
      ...Object.keys(pkg.peerDependencies ?? {}).filter((n) => !optionalPeers.has(n)),
    ]);
    for (const dep of deps) {
      const found = resolvePackage(dep, dir);
      if (found && !seen.has(found)) queue.push(found);
    }
  }
  return seen;
}

/** Bytes on disk (allocated blocks) and apparent bytes of a package, without nested node_modules. */
function packageSize(dir) {
  let disk = 0;
  let apparent = 0;
  let files = 0;
  const walk = (path) => {
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      if (entry.name === 'node_modules' && path !== dir) continue;
      if (entry.name === 'node_modules') continue;
      const full = join(path, entry.name);
      const st = lstatSync(full);
      if (entry.isDirectory()) walk(full);
      else {
        disk += st.blocks * 512;
        apparent += st.size;
        files += 1;
      }
    }
  };
  walk(dir);
  return { disk, apparent, files };
}

const appDeps = Object.keys(readJson(join(root, 'package.json')).dependencies ?? {});
const sandboxClosure = closure(SANDBOX_ROOTS, root);
const restClosure = closure(
  appDeps.filter((name) => !SANDBOX_ROOTS.includes(name)),
  root,
);
const onlySandbox = [...sandboxClosure].filter((dir) => !restClosure.has(dir));

const rows = onlySandbox.map((dir) => ({ name: dir.slice(root.length + 1), ...packageSize(dir) }));
rows.sort((a, b) => b.disk - a.disk);
const total = rows.reduce((acc, r) => ({ disk: acc.disk + r.disk, apparent: acc.apparent + r.apparent, files: acc.files + r.files }), { disk: 0, apparent: 0, files: 0 });
const mb = (bytes) => (bytes / 1024 / 1024).toFixed(1);

if (process.argv.includes('--json')) {
  console.log(JSON.stringify({ packages: rows.length, ...total, largest: rows.slice(0, 15) }, null, 2));
} else {
  console.log(`Sandbox-only packages: ${rows.length} (of ${sandboxClosure.size} in the closure of ${SANDBOX_ROOTS.join(' + ')})`);
  console.log(`Adds ${mb(total.disk)} MB on disk (${mb(total.apparent)} MB apparent, ${total.files} files).`);
  console.log('Largest:');
  for (const row of rows.slice(0, 15)) console.log(`  ${mb(row.disk).padStart(7)} MB  ${row.name}`);
}
