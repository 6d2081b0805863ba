/**
 * A backup or restore on a server runs for minutes: what its script prints must reach the job log
 * as it is printed, not when the script ends. A real sshd (test server), the real SshRunner the
 * backup service runs its scripts through, and a real JobManager: a line shows in the job's log
 * (as jobs.get returns it) while the job is still running.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SshRunner } from '../src/core/backups/host-runner.ts';
import { SshSession } from '../src/core/hosts/ssh/index.ts';
import { JobManager } from '../src/core/jobs/index.ts';
import { Redactor } from '../src/core/log/redact.ts';
import { startTestServer, testServerUnavailable, type TestServer } from './support/test-server.ts';

const unavailable = testServerUnavailable();

async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.skipIf(unavailable)('remote script output in the job log', () => {
  let server: TestServer;
  let session: SshSession;
  let dataDir: string;

  beforeAll(async () => {
    server = await startTestServer({ name: 'streaming' });
    session = new SshSession({ host: server.host, port: server.port, username: server.username, privateKey: server.privateKey, hostKey: server.hostKeyFingerprint });
    dataDir = await mkdtemp(join(tmpdir(), 'hearth-streaming-'));
  }, 180_000);

  afterAll(async () => {
    session?.close();
    await server?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('a line the server prints reaches the job log while the job still runs', async () => {
    const jobs = await JobManager.open(dataDir, new Redactor(), { updated: () => {}, log: () => {} });
    const runner = new SshRunner(session);
    // Like hearth-backup.sh: progress on stdout, a warning on stderr, then it works on (here: until
    // the test lets it go), and a result line last.
    const script = [
      "echo 'progress 0.2 Staging the databases'",
      "echo 'restic: the store is slow to answer' >&2",
      'while [ ! -e /tmp/hearth-go ]; do sleep 0.1; done',
      'echo \'result {"ok":true}\'',
    ].join('; ');
    const { id, result } = jobs.start({
      kind: 'backups.backup',
      target: 'streaming',
      title: 'Back up now',
      run: (ctx) =>
        runner.run('bash', ['-c', script], {
          ctx,
          onLine: (line) => ctx.log(line),
          onStderrLine: (line) => ctx.log(line, 'warn'),
        }),
    });

    const seen = await waitFor(async () => {
      const job = await jobs.get(id);
      const messages = job.log.map((l) => l.message);
      return messages.includes('progress 0.2 Staging the databases') && messages.includes('restic: the store is slow to answer') ? job : undefined;
    });
    expect(seen.state).toBe('running');
    expect(seen.log.find((l) => l.message === 'restic: the store is slow to answer')?.level).toBe('warn');
    expect(seen.log.map((l) => l.message)).not.toContain('result {"ok":true}');

    await server.exec('touch /tmp/hearth-go');
    const done = await result;
    expect(done.code).toBe(0);
    expect(done.stdout).toContain('result {"ok":true}');
    expect((await jobs.get(id)).log.map((l) => l.message)).toContain('result {"ok":true}');
  });
});
