import { execFile } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOST_FILES, HostFiles } from '../src/core/hosts/templates.ts';
import { desktopPaths, rendererUrl } from '../src/main/desktop-paths.ts';
import { HOST_SCRIPTS_DIR } from './support/host-files.ts';

// The desktop app never runs here (no Electron binary can be downloaded), so its decisions are
// tested as plain functions, and its built bundle is loaded by Node with a stand-in for the
// `electron` module (test/support/electron-standin: a packaged app's process.resourcesPath and
// app.isPackaged, an IPC handler the test calls through as the window would).

const run = promisify(execFile);
const root = fileURLToPath(new URL('../', import.meta.url));
const bundle = join(root, 'out/main/index.js');
let work: string;

beforeAll(async () => {
  // The same build `npm run build` makes (electron-vite: main with core inside, preload, renderer).
  await run(process.execPath, [join(root, 'node_modules/electron-vite/bin/electron-vite.js'), 'build', '--logLevel', 'warn'], { cwd: root });
  work = await mkdtemp(join(tmpdir(), 'hearth-desktop-'));
  // Browser mode's production bundle, as `npm run web` builds it (into a folder of this test's own).
  await run(process.execPath, [join(root, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'vite.web.config.ts', '--outDir', join(work, 'web'), '--logLevel', 'warn'], { cwd: root });
}, 180_000);
afterAll(() => rm(work, { recursive: true, force: true }));

/** Loads the built desktop bundle as Electron would, with a resources folder laid out by `layout`. */
async function startBundle(name: string, layout: (resources: string) => Promise<void>): Promise<{ answer: unknown; output: string }> {
  const resources = join(work, name, 'resources');
  const userData = join(work, name, 'user-data');
  await cp(join(root, 'package.json'), join(work, name, 'package.json')).catch(() => undefined);
  await layout(resources);
  const env = {
    ...process.env,
    STANDIN_RESOURCES: resources,
    STANDIN_USER_DATA: userData,
    STANDIN_PACKAGED: '1',
    STANDIN_CALL: 'app.info',
  };
  const register = join(root, 'test/support/electron-standin/register.mjs');
  const result = await run(process.execPath, ['--import', register, bundle], { env, cwd: work, timeout: 60_000 }).catch((err: { stdout: string; stderr: string }) => err);
  const output = `${result.stdout}\n${result.stderr}`;
  const line = /^STANDIN_ANSWER (.*)$/m.exec(result.stdout)?.[1];
  return { answer: line ? JSON.parse(line) : null, output };
}

describe('the desktop app finds its own files', () => {
  it('a packaged app takes the server files from <resources>/host; unpacked, from the checkout', async () => {
    expect(desktopPaths({ isPackaged: true, resourcesPath: '/opt/Hearth/resources', mainDir: '/opt/Hearth/resources/app.asar/out/main' })).toMatchObject({
      hostFilesDir: '/opt/Hearth/resources/host',
      preloadDir: '/opt/Hearth/resources/app.asar/out/preload',
    });
    const unpacked = desktopPaths({ isPackaged: false, resourcesPath: '/usr/lib/electron/resources', mainDir: join(root, 'out/main') });
    expect(unpacked.hostFilesDir).toBe(join(root, 'resources/host'));
    expect(await new HostFiles(unpacked.hostFilesDir).missing()).toEqual([]);
    // Every file in resources/host is one core knows about (a new one must be listed to be shipped and checked).
    expect((await readdir(HOST_SCRIPTS_DIR)).sort()).toEqual([...HOST_FILES].sort());
  });

  it('the built bundle, loaded as a packaged app, starts and answers a call once <resources>/host holds the server files', async () => {
    const { answer, output } = await startBundle('packaged', (resources) => cp(HOST_SCRIPTS_DIR, join(resources, 'host'), { recursive: true }));
    expect(answer, output).toMatchObject({ ok: true, result: { host: 'electron', version: '0.0.0-standin' } });
  }, 90_000);

  it('without the server files it refuses to start, naming the folder and the files, instead of failing mid-install', async () => {
    const { answer, output } = await startBundle('broken', async (resources) => {
      await cp(HOST_SCRIPTS_DIR, join(resources, 'host'), { recursive: true });
      await rm(join(resources, 'host', 'pds-install.sh'));
    });
    expect(answer).toBeNull();
    expect(output).toContain(`Hearth's server files are missing from ${join(work, 'broken', 'resources', 'host')}: pds-install.sh`);
  }, 90_000);

  it('the feed store takes SQLite from the runtime (node:sqlite, in Electron 45 as in Node 22), neither bundled nor stubbed', async () => {
    const chunks = join(root, 'out/main/chunks');
    const names = (await readdir(chunks)).filter((name) => /\.(c|m)?js$/.test(name));
    const users: string[] = [];
    for (const name of names) {
      const text = await readFile(join(chunks, name), 'utf8');
      if (!text.includes('DatabaseSync')) continue;
      users.push(name);
      expect(text, name).toMatch(/^import \{[^}]*DatabaseSync[^}]*\} from "node:sqlite";$/m);
      expect(text, name).not.toContain('__vite-browser-external');
    }
    expect(users.length).toBeGreaterThan(0);
  });

  it('a packaged app ignores ELECTRON_RENDERER_URL (any origin it named would get the whole API); development uses a loopback dev server only', () => {
    const env = { ELECTRON_RENDERER_URL: 'http://localhost:5173/' };
    expect(rendererUrl({ isPackaged: true, env }, 'hearth://app')).toEqual({ origin: 'hearth://app', page: 'hearth://app/index.html' });
    expect(rendererUrl({ isPackaged: false, env }, 'hearth://app')).toEqual({ origin: 'http://localhost:5173', page: 'http://localhost:5173/' });
    expect(rendererUrl({ isPackaged: false, env: { ELECTRON_RENDERER_URL: 'https://evil.example/' } }, 'hearth://app').origin).toBe('hearth://app');
  });
});

describe('nothing for tests lives in the product', () => {
  // Each of these once let a test (or anyone who could set an environment variable) swap a part of
  // Hearth: the Pulumi engine, where the DigitalOcean token is sent, DNS answers, the Downloads
  // folder, the keychain entries. Stand-ins are now injected by test entry points only.
  const HOOKS = ['HEARTH_FAKE_PULUMI', 'HEARTH_FAKE_DROPLET_SSH', 'HEARTH_DO_API_URL', 'HEARTH_PUBLIC_IP_URL', 'HEARTH_DOWNLOADS_DIR', 'HEARTH_RESOLVE', 'HEARTH_KEYCHAIN_SERVICE'];
  // Code of the simulated Pulumi engine (test/support/simulated-automation.ts).
  const STAND_IN_CODE = ['SimulatedAutomation', 'Pulumi engine (simulated) ready', 'simulated-pulumi', '198.51.100.23'];

  it('the desktop and browser-mode bundles contain no test switch and no stand-in code', async () => {
    const bundles = [join(root, 'out/main'), join(root, 'out/preload'), join(work, 'web')];
    const files: string[] = [];
    for (const dir of bundles) {
      for (const name of await readdir(dir, { recursive: true })) if (/\.(c|m)?js$/.test(name)) files.push(join(dir, name));
    }
    expect(files.length).toBeGreaterThanOrEqual(4);
    const found: string[] = [];
    for (const file of files) {
      const text = await readFile(file, 'utf8');
      for (const needle of [...HOOKS, ...STAND_IN_CODE]) if (text.includes(needle)) found.push(`${needle} in ${file.slice(root.length)}`);
    }
    expect(found).toEqual([]);
  });
});
