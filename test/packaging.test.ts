import { extractFile, listPackage, statFile } from '@electron/asar';
import { FuseV1Options, getCurrentFuseWire } from '@electron/fuses';
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The packaged desktop app, built by electron-builder with the project's own configuration
// (electron-builder.cjs) as `npm run dist` builds it, only as the unpacked linux directory.
//
// The Electron binary cannot be downloaded here, so the app is built against a STAND-IN Electron
// distribution: a folder with what electron-builder copies from a real one (the `electron`
// executable, LICENSE, version, resources/). The stand-in executable is a shell script that cannot
// run the app, but carries Electron's fuse wire (the sentinel @electron/fuses looks for, then the
// wire version, length and one byte per fuse, set as a stock Electron ships them), so
// electron-builder's real fuse flipping runs on it and the test reads the result back.
// Everything else is real: the electron-vite bundles, the dependencies electron-builder collects
// from node_modules, the asar, the unpacked native modules, the extra resources.

const run = promisify(execFile);
const root = fileURLToPath(new URL('../', import.meta.url));
const require = createRequire(import.meta.url);
const electronVersion = (require('electron/package.json') as { version: string }).version;

const FUSE_SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
// A stock Electron's fuses: RunAsNode, CookieEncryption, NODE_OPTIONS, --inspect, asar integrity,
// only-load-from-asar, browser V8 snapshot, file:// privileges ('1' enabled, '0' disabled).
const STOCK_FUSES = '10110001';
// How a fuse reads back (@electron/fuses keeps these in its constants, which it does not export).
const FuseState = { DISABLE: '0'.charCodeAt(0), ENABLE: '1'.charCodeAt(0) };

let work: string;
let appDir: string;
let resourcesDir: string;
let asarPath: string;

async function makeStandInElectron(dir: string): Promise<void> {
  await mkdir(join(dir, 'resources'), { recursive: true });
  const wire = Buffer.concat([Buffer.from(FUSE_SENTINEL), Buffer.from([1, STOCK_FUSES.length]), Buffer.from(STOCK_FUSES)]);
  const script = Buffer.concat([
    Buffer.from('#!/bin/sh\n# Stand-in for the Electron binary, which cannot be downloaded here. Fuse wire: '),
    wire,
    Buffer.from('\necho "stand-in Electron: it cannot run Hearth" >&2\nexit 1\n'),
  ]);
  await writeFile(join(dir, 'electron'), script);
  await chmod(join(dir, 'electron'), 0o755);
  await writeFile(join(dir, 'version'), electronVersion);
  await writeFile(join(dir, 'LICENSE'), 'Stand-in for the Electron MIT license.\n');
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name))).sort();
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'hearth-packaging-'));
  // The same bundles `npm run dist` packs, built into this test's own folder so a concurrent build
  // of out/ by another suite cannot change them under it.
  const bundles = join(work, 'out');
  await run(process.execPath, [join(root, 'node_modules/electron-vite/bin/electron-vite.js'), 'build', '--outDir', bundles, '--logLevel', 'warn'], { cwd: root });
  const electronDist = join(work, 'electron-standin');
  await makeStandInElectron(electronDist);

  const config = require(join(root, 'electron-builder.cjs')) as { files: (string | object)[]; directories: object };
  // Only where the bundles and Electron come from changes; the out/ patterns of the real config
  // become the same patterns over this test's build.
  const outPatterns = config.files.filter((f): f is string => typeof f === 'string' && f.startsWith('out/'));
  expect(outPatterns).toEqual(['out/main/**', 'out/preload/**', 'out/renderer/**']);
  const testConfig = {
    ...config,
    files: [
      ...config.files.filter((f) => !outPatterns.includes(f as string)),
      { from: bundles, to: 'out', filter: outPatterns.map((p) => p.slice('out/'.length)) },
    ],
    electronDist,
    electronVersion,
    // Rebuilding native modules for Electron downloads its headers; the unpacked layout is what
    // this test checks, not the ABI the modules are built for.
    npmRebuild: false,
    directories: { ...config.directories, output: join(work, 'dist') },
  };
  const configFile = join(work, 'electron-builder.test-config.json');
  await writeFile(configFile, JSON.stringify(testConfig));
  await run(process.execPath, [join(root, 'node_modules/electron-builder/cli.js'), '--linux', 'dir', '--publish', 'never', '--config', configFile], {
    cwd: root,
    env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1' },
    maxBuffer: 64 * 1024 * 1024,
  });
  appDir = join(work, 'dist', 'linux-unpacked');
  resourcesDir = join(appDir, 'resources');
  asarPath = join(resourcesDir, 'app.asar');
}, 240_000);

afterAll(() => (work ? rm(work, { recursive: true, force: true }) : undefined));

describe('the packaged desktop app (electron-builder --dir, stand-in Electron binary)', () => {
  it('its asar holds the three bundles and package.json, whose main is inside it', async () => {
    const files = listPackage(asarPath, { isPack: false }).map((f) => f.replace(/^[\\/]/, ''));
    for (const bundle of ['out/main/index.js', 'out/main/sandbox-plc.js', 'out/main/sandbox-pds.js', 'out/preload/index.cjs', 'out/renderer/index.html']) {
      expect(files).toContain(bundle);
    }
    const pkg = JSON.parse(extractFile(asarPath, 'package.json').toString()) as { main: string; name: string; devDependencies?: object; scripts?: object };
    expect(pkg.main).toBe('out/main/index.js');
    expect(files).toContain(pkg.main);
    expect(files.some((f) => f.startsWith('out/renderer/assets/') && f.endsWith('.js'))).toBe(true);
  });

  it('ships no test code, sources or development tools', () => {
    const files = listPackage(asarPath, { isPack: false }).map((f) => f.replace(/^[\\/]/, ''));
    const own = files.filter((f) => !f.startsWith('node_modules/') && !f.startsWith('node_modules'));
    // Only the bundles and package.json: no e2e/, test/, src/, browser mode's host, source maps.
    const unexpected = own.filter((f) => f !== 'package.json' && f !== 'out' && !/^out\/(main|preload|renderer)(\/|$)/.test(f));
    expect(unexpected).toEqual([]);
    expect(own.filter((f) => /\.map$|stand-?in|simulat|fake|\.test\./i.test(f))).toEqual([]);
    const topModules = new Set(files.filter((f) => f.startsWith('node_modules/')).map((f) => f.split('/').slice(1, f.split('/')[1]?.startsWith('@') ? 3 : 2).join('/')));
    for (const devOnly of ['vitest', 'playwright-core', 's3rver', 'electron', 'electron-builder', 'electron-vite', '@doyensec/electronegativity', 'typescript']) {
      expect(topModules.has(devOnly), `${devOnly} is a development tool`).toBe(false);
    }
    // The runtime dependencies are there.
    for (const dep of ['ssh2', '@atproto/pds', 'zod', 'ws']) expect(topModules.has(dep), dep).toBe(true);
  });

  it('the server files sit at <resources>/host beside app.asar, every one, with its mode', async () => {
    const source = join(root, 'resources/host');
    const shipped = join(resourcesDir, 'host');
    const expected = await filesUnder(source);
    expect(expected.length).toBeGreaterThan(0);
    expect(await filesUnder(shipped)).toEqual(expected);
    for (const file of expected) {
      expect((await readFile(join(shipped, file))).equals(await readFile(join(source, file))), file).toBe(true);
      expect((await stat(join(shipped, file))).mode & 0o777, file).toBe((await stat(join(source, file))).mode & 0o777);
    }
  });

  it('the native modules are unpacked from the asar, where Electron loads them', async () => {
    const unpacked = join(resourcesDir, 'app.asar.unpacked');
    const natives = (await filesUnder(unpacked)).filter((f) => f.endsWith('.node'));
    expect(natives.some((f) => /^node_modules\/better-sqlite3\/build\/Release\/better_sqlite3\.node$/.test(f)), natives.join('\n')).toBe(true);
    expect(natives.some((f) => /^node_modules\/@napi-rs\/keyring-linux-x64-[a-z]+\/.*\.node$/.test(f)), natives.join('\n')).toBe(true);
    expect(natives.some((f) => /^node_modules\/cpu-features\/build\/Release\/.*\.node$/.test(f)), natives.join('\n')).toBe(true);
    // The asar's own index points at the unpacked copies (what Electron's loader follows).
    for (const file of natives) expect(statFile(asarPath, file, false), file).toMatchObject({ unpacked: true });
    // The JavaScript that loads each binary sits beside it, so relative lookups find it.
    expect(natives.length).toBeGreaterThanOrEqual(3);
    await stat(join(unpacked, 'node_modules/better-sqlite3/lib/index.js'));
    await stat(join(unpacked, 'node_modules/@napi-rs/keyring/index.js'));
  });

  it('the Electron fuses read back as set: no RunAsNode, NODE_OPTIONS or --inspect; asar integrity; only the asar', async () => {
    const binary = join(appDir, 'hearth');
    const wire = await getCurrentFuseWire(binary);
    expect(wire[FuseV1Options.RunAsNode]).toBe(FuseState.DISABLE);
    expect(wire[FuseV1Options.EnableNodeOptionsEnvironmentVariable]).toBe(FuseState.DISABLE);
    expect(wire[FuseV1Options.EnableNodeCliInspectArguments]).toBe(FuseState.DISABLE);
    expect(wire[FuseV1Options.EnableEmbeddedAsarIntegrityValidation]).toBe(FuseState.ENABLE);
    expect(wire[FuseV1Options.OnlyLoadAppFromAsar]).toBe(FuseState.ENABLE);
    // The stand-in started as a stock Electron (RunAsNode on): the build flipped it.
    const standIn = await getCurrentFuseWire(join(work, 'electron-standin', 'electron'));
    expect(standIn[FuseV1Options.RunAsNode]).toBe(FuseState.ENABLE);
    // Electron's license stays beside the executable, as its license requires.
    await stat(join(appDir, 'LICENSE.electron.txt'));
  });
});
