import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { installPds, PDS_VERSION } from '../src/core/hosts/install.ts';
import { systemResolver } from '../src/core/hosts/resolve.ts';
import { SshSession } from '../src/core/hosts/ssh/index.ts';
import { HOST_SCRIPTS_DIR, hostFiles } from '../test/support/host-files.ts';
import type { JobContext } from '../src/core/jobs/index.ts';
import type { SecretStore } from '../src/core/secrets/secret-store.ts';
import { freePort, startPlc } from '../test/support/plc.ts';
import { startTestServer, testServerUnavailable } from '../test/support/test-server.ts';

/**
 * A whole native install on a fresh test server with npm's cache warm (the cache lives outside the
 * checkout), per step. Baseline, same run, on a second fresh server: the same installer steps run
 * by hand over OpenSSH (`ssh … pds-install.sh packages; runtime; app`), i.e. the work itself
 * without Hearth's orchestration, checks and HTTPS verification. Goal: whole install ≤ 3 min.
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
try {
  // Baseline first (it also warms npm's cache for a first-ever run).
  const base = await startTestServer();
  let baselineS: number;
  try {
    const ssh = ['-i', base.keyPath, '-p', String(base.port), '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR', 'root@127.0.0.1'];
    await run('scp', ['-q', '-i', base.keyPath, '-P', String(base.port), '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', `${HOST_SCRIPTS_DIR}pds-install.sh`, `${HOST_SCRIPTS_DIR}pds-entry.mjs`, 'root@127.0.0.1:/root/']);
    const t0 = performance.now();
    await run('ssh', [...ssh, `mkdir -p /opt/hearth/share && cp /root/pds-entry.mjs /opt/hearth/share/ && bash /root/pds-install.sh packages && bash /root/pds-install.sh runtime && bash /root/pds-install.sh app ${PDS_VERSION}`], { maxBuffer: 64 << 20 });
    baselineS = (performance.now() - t0) / 1000;
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
    for (const step of steps) console.log(`  ${step.seconds.toFixed(1).padStart(6)} s  ${step.title}`);
    console.log(`Hearth install, packages cached: ${totalS.toFixed(1)} s (goal ≤ ${GOAL_S} s) ${totalS <= GOAL_S ? 'OK' : 'ABOVE GOAL'}`);
    console.log(`Baseline (same installer steps by hand over ssh): ${baselineS.toFixed(1)} s; ratio Hearth / baseline: ${(totalS / baselineS).toFixed(2)}×`);
  } finally {
    await server.stop();
  }
} finally {
  await plc.close();
}
