import { execFile } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { installPds, PDS_VERSION } from '../src/core/hosts/install.ts';
import { systemResolver } from '../src/core/hosts/resolve.ts';
import { SshSession } from '../src/core/hosts/ssh/index.ts';
import { HOST_SCRIPTS_DIR, hostFiles } from '../test/support/host-files.ts';
import type { JobContext } from '../src/core/jobs/index.ts';
import type { SecretStore } from '../src/core/secrets/secret-store.ts';
import { freePort, startPlc } from '../test/support/plc.ts';
import { startTestServer, testServerUnavailable, type TestServer } from '../test/support/test-server.ts';

/**
 * A whole native install on a fresh test server with npm's cache warm (the cache lives outside the
 * checkout), per step. Baseline, same run, on a second fresh server: the same installer steps run
 * by hand over OpenSSH (`ssh … pds-install.sh packages; runtime; app`), i.e. the work itself
 * without Hearth's orchestration, checks and HTTPS verification. Goal: whole install ≤ 3 min.
 *
 * A real server downloads better-sqlite3 prebuilt; here the test servers find that prebuild in
 * npm's cache once one server has compiled it (scripts/test-server.sh, harvest_prebuild). On a
 * machine where none has yet, an unmeasured warm-up install compiles it first, so both measured
 * runs unpack the prebuilt module as a real server does; each run's line says which it did.
 */
const GOAL_S = 180;
const run = promisify(execFile);
const why = testServerUnavailable();
if (why) {
  console.log(`skipped: ${why}`);
  process.exit(0);
}

// Secrets for a throwaway server: kept in memory (the bench measures the install, not the keychain).
const memory = new Map<string, string>();
const secrets: SecretStore = {
  get: async (k) => memory.get(k) ?? null,
  set: async (k, v) => void memory.set(k, v),
  delete: async (k) => memory.delete(k),
  list: async (prefix = '') => [...memory.keys()].filter((k) => k.startsWith(prefix)),
};

const plc = await startPlc();
const hostname = 'pds.bench.test';
const resolve = systemResolver(`${hostname}=127.0.0.1,*.${hostname}=127.0.0.1`);
/** The installer's own steps run by hand over OpenSSH, timed from the first command. */
async function installByHand(server: TestServer): Promise<number> {
  const options = ['-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR'];
  await run('scp', ['-q', '-i', server.keyPath, '-P', String(server.port), ...options, `${HOST_SCRIPTS_DIR}pds-install.sh`, `${HOST_SCRIPTS_DIR}pds-entry.mjs`, 'root@127.0.0.1:/root/']);
  const t0 = performance.now();
  await run('ssh', ['-i', server.keyPath, '-p', String(server.port), ...options, 'root@127.0.0.1', `mkdir -p /opt/hearth/share && cp /root/pds-entry.mjs /opt/hearth/share/ && bash /root/pds-install.sh packages && bash /root/pds-install.sh runtime && bash /root/pds-install.sh app ${PDS_VERSION}`], { maxBuffer: 64 << 20 });
  return (performance.now() - t0) / 1000;
}

/** How the PDS's SQLite module got onto a server: a compile leaves its object files beside it. */
async function nativeModule(server: TestServer): Promise<'prebuilt' | 'compiled'> {
  const probe = await server.exec('ls -d /opt/hearth/pds-*/node_modules/better-sqlite3/build/Release/obj.target 2>/dev/null | head -1');
  return probe.stdout.trim() ? 'compiled' : 'prebuilt';
}

const cacheDir = process.env.HEARTH_TEST_CACHE ?? '/var/cache/hearth-test';
const prebuildCached = async () => (await readdir(join(cacheDir, 'npm-cache', '_prebuilds')).catch(() => [] as string[])).some((f) => f.includes('better-sqlite3'));

try {
  if (!(await prebuildCached())) {
    console.log('No prebuilt better-sqlite3 in the cache yet: one unmeasured install compiles it first (a real server downloads it).');
    const warm = await startTestServer();
    try {
      await installByHand(warm);
    } finally {
      await warm.stop();
    }
  }
  const base = await startTestServer();
  let baselineS: number;
  let baselineModule: string;
  try {
    baselineS = await installByHand(base);
    baselineModule = await nativeModule(base);
  } finally {
    await base.stop();
  }

  const server = await startTestServer();
  try {
    const steps: { title: string; seconds: number }[] = [];
    const ctx: JobContext = {
      id: 'bench',
      signal: new AbortController().signal,
      progress: () => {},
      log: (message) => {
        const done = /^Step \d+\/\d+ done in ([\d.]+) s: (.*)$/.exec(message);
        if (done?.[1] && done[2]) steps.push({ title: done[2], seconds: Number(done[1]) });
      },
    };
    const ssh = new SshSession({ host: server.host, port: server.port, username: 'root', privateKey: server.privateKey, hostKey: server.hostKeyFingerprint });
    const t0 = performance.now();
    await installPds(
      ssh,
      {
        serverId: 'bench',
        hostname,
        tlsMode: 'internal',
        httpsPort: await freePort(),
        httpPort: await freePort(),
        pdsPort: await freePort(),
        caddyAdminPort: await freePort(),
        plcUrl: plc.url,
        crawlers: '',
        pdsVersion: PDS_VERSION,
      },
      { secrets, resolve, files: hostFiles },
      ctx,
    );
    const totalS = (performance.now() - t0) / 1000;
    ssh.close();
    const module = await nativeModule(server);
    for (const step of steps) console.log(`  ${step.seconds.toFixed(1).padStart(6)} s  ${step.title}`);
    console.log(`Hearth install, packages cached, SQLite module ${module}: ${totalS.toFixed(1)} s (goal ≤ ${GOAL_S} s) ${totalS <= GOAL_S ? 'OK' : 'ABOVE GOAL'}`);
    console.log(`Baseline (same installer steps by hand over ssh, SQLite module ${baselineModule}): ${baselineS.toFixed(1)} s; ratio Hearth / baseline: ${(totalS / baselineS).toFixed(2)}×`);
    if (module !== 'prebuilt' || baselineModule !== 'prebuilt') console.log('Not what a real server does: a run compiled the SQLite module (see above).');
  } finally {
    await server.stop();
  }
} finally {
  await plc.close();
}
