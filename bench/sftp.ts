import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SshSession } from '../src/core/hosts/ssh/index.ts';
import { startTestServer, testServerUnavailable } from '../test/support/test-server.ts';

/**
 * Uploading 50 MB to a server through Hearth's SSH session layer (ssh2 SFTP, parallel writes)
 * against OpenSSH's `scp` to the same test server in the same run. Goal: at least 0.8× scp.
 */
const SIZE = 50 * 1024 * 1024;
const RUNS = 3;
const GOAL_RATIO = 0.8;
const run = promisify(execFile);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

const why = testServerUnavailable();
if (why) {
  console.log(`skipped: ${why}`);
  process.exit(0);
}
const server = await startTestServer();
const dir = await mkdtemp(join(tmpdir(), 'hearth-bench-sftp-'));
try {
  const file = join(dir, 'blob.bin');
  await writeFile(file, randomBytes(SIZE));
  const ssh = new SshSession({ host: server.host, port: server.port, username: 'root', privateKey: server.privateKey, hostKey: server.hostKeyFingerprint });
  await ssh.connect();
  const hearth: number[] = [];
  const scp: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    let t0 = performance.now();
    await ssh.putFile(file, `/root/hearth-${i}.bin`);
    hearth.push(performance.now() - t0);
    t0 = performance.now();
    await run('scp', ['-q', '-i', server.keyPath, '-P', String(server.port), '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', file, `root@127.0.0.1:/root/scp-${i}.bin`]);
    scp.push(performance.now() - t0);
  }
  ssh.close();
  const mbps = (ms: number) => SIZE / 1024 / 1024 / (ms / 1000);
  const h = median(hearth);
  const s = median(scp);
  const ratio = mbps(h) / mbps(s);
  console.log(`SFTP upload of 50 MB (median of ${RUNS}): Hearth ${mbps(h).toFixed(0)} MB/s (${h.toFixed(0)} ms), scp ${mbps(s).toFixed(0)} MB/s (${s.toFixed(0)} ms)`);
  console.log(`ratio Hearth / scp: ${ratio.toFixed(2)}× (goal ≥ ${GOAL_RATIO}×) ${ratio >= GOAL_RATIO ? 'OK' : 'BELOW GOAL'}`);
} finally {
  await rm(dir, { recursive: true, force: true });
  await server.stop();
}
