import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSshKey, SshSession } from '../src/core/hosts/ssh/index.ts';
import type { JobContext } from '../src/core/jobs/index.ts';
import { HearthError } from '../src/shared/errors.ts';
import { startTestServer, testServerUnavailable, type TestServer } from './support/test-server.ts';

const unavailable = testServerUnavailable();

function jobContext(): JobContext & { lines: string[]; controller: AbortController } {
  const controller = new AbortController();
  const lines: string[] = [];
  return { id: 'test', signal: controller.signal, controller, lines, progress: () => {}, log: (message) => lines.push(message) };
}

async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function errorOf(promise: Promise<unknown>): Promise<HearthError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(HearthError);
  return err as HearthError;
}

describe.skipIf(unavailable)('test server and SSH session layer', () => {
  let a: TestServer;
  let b: TestServer;
  const sessions: SshSession[] = [];
  const session = (server: TestServer, extra: Partial<ConstructorParameters<typeof SshSession>[0]> = {}) => {
    const s = new SshSession({ host: server.host, port: server.port, username: 'root', privateKey: server.privateKey, hostKey: null, ...extra });
    sessions.push(s);
    return s;
  };

  beforeAll(async () => {
    // Two at once: the backups tests restore onto a second server.
    [a, b] = await Promise.all([startTestServer(), startTestServer()]);
  });
  afterAll(async () => {
    for (const s of sessions) s.close();
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it('boots two separate Debian 12 servers, each with its own sshd, hostname and host key', async () => {
    expect(a.port).not.toBe(b.port);
    expect(a.hostKeyFingerprint).not.toBe(b.hostKeyFingerprint);
    const [ra, rb] = await Promise.all([session(a).run('. /etc/os-release; echo "$ID $VERSION_ID $(hostname)"; ps -o comm= -p 1'), session(b).run('hostname')]);
    expect(ra.stdout).toContain(`debian 12 ${a.name}`);
    expect(ra.stdout).toContain('systemctl');
    expect(rb.stdout.trim()).toBe(b.name);
    // A file written on one is not on the other.
    await a.exec('echo only-a > /root/marker');
    expect((await b.exec('cat /root/marker')).code).not.toBe(0);
  });

  it('pins the host key on first use with the fingerprint OpenSSH prints', async () => {
    let pinned: string | null = null;
    const s = session(a, { onHostKeyPinned: (fp) => void (pinned = fp) });
    await s.connect();
    expect(pinned).toBe(a.hostKeyFingerprint);
    expect(s.hostKeyFingerprint).toBe(a.hostKeyFingerprint);
  });

  it('streams command output to the job log and reports the exit code', async () => {
    const ctx = jobContext();
    const result = await session(a).exec('echo one; echo two >&2; echo three; exit 3', { ctx });
    expect(result.code).toBe(3);
    expect(result.stdout).toBe('one\nthree\n');
    expect(ctx.lines).toEqual(expect.arrayContaining(['one', 'two', 'three']));
    await expect(session(a).run('false', { what: 'Checking the disk' })).rejects.toThrow(/Checking the disk failed \(exit 1\)/);
  });

  it('writes files atomically with their mode, and moves files both ways over SFTP', async () => {
    const s = session(a);
    await s.writeFile('/root/secret.env', 'A=1\n', { mode: 0o600 });
    expect((await a.exec('stat -c "%a %U" /root/secret.env')).stdout.trim()).toBe('600 root');
    expect((await s.readFile('/root/secret.env'))?.toString()).toBe('A=1\n');
    expect(await s.readFile('/root/missing')).toBeNull();

    const dir = await mkdtemp(join(tmpdir(), 'hearth-sftp-'));
    const data = randomBytes(3 * 1024 * 1024);
    await writeFile(join(dir, 'up.bin'), data);
    await s.putFile(join(dir, 'up.bin'), '/root/up.bin');
    await s.getFile('/root/up.bin', join(dir, 'down.bin'));
    expect((await readFile(join(dir, 'down.bin'))).equals(data)).toBe(true);
    await rm(dir, { recursive: true });
  });

  it('cancels a running command: the call ends at once and the command stops on the server', async () => {
    const s = session(a);
    const ctx = jobContext();
    const started = Date.now();
    const running = s.exec('echo started; exec sleep 300', { ctx });
    await expect.poll(() => ctx.lines.includes('started')).toBe(true);
    ctx.controller.abort();
    await expect(running).rejects.toMatchObject({ name: 'AbortError' });
    expect(Date.now() - started).toBeLessThan(5_000);
    await expect.poll(async () => (await a.exec('pgrep -x sleep')).code, { timeout: 5_000 }).toBe(1);
    // The session is still usable after a cancel.
    expect((await s.run('echo ok')).stdout).toBe('ok\n');
  });

  it('reconnects on the next operation after the connection is cut', async () => {
    const s = session(a);
    await s.run('true');
    // Kill this session's sshd process on the server: the TCP connection drops.
    await a.exec("pkill -f '[s]shd: root@notty'");
    await expect.poll(async () => (await s.exec('echo back')).stdout, { timeout: 10_000 }).toBe('back\n');
  });

  it('gives specific errors for a wrong port and a key the server does not accept', async () => {
    const closedPort = await unusedPort();
    const refused = await errorOf(session(b, { port: closedPort }).connect());
    expect(refused.code).toBe('NETWORK');
    expect(refused.message).toMatch(/Nothing is listening/);

    const stranger = generateSshKey('stranger');
    const denied = await errorOf(session(b, { privateKey: stranger.privateKey }).connect());
    expect(denied.code).toBe('AUTH');
    expect(denied.hint).toMatch(/authorized_keys/);
  });

  it('refuses every operation after the host key changed, until the new key is trusted', async () => {
    const s = session(b, { hostKey: b.hostKeyFingerprint });
    await s.run('true');
    // A rebuilt server has no open connections (this daemonless systemctl waits for them before it
    // restarts ssh).
    for (const open of sessions) open.close();
    // The server is rebuilt: new host key, sshd restarted.
    await b.exec("rm -f /etc/ssh/ssh_host_ed25519_key* && ssh-keygen -q -t ed25519 -N '' -f /etc/ssh/ssh_host_ed25519_key && systemctl restart ssh >/dev/null 2>&1");
    const fresh = (await b.exec('ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub')).stdout.split(' ')[1];
    await expect.poll(async () => (await b.exec('ss -ltn')).stdout.includes(`:${b.port}`)).toBe(true);

    const first = await errorOf(s.exec('true'));
    expect(first.code).toBe('HOST_KEY_MISMATCH');
    expect(first.message).toContain(b.hostKeyFingerprint);
    expect(first.message).toContain(fresh);
    expect(s.presentedFingerprint).toBe(fresh);
    expect((await errorOf(s.writeFile('/root/x', 'x'))).code).toBe('HOST_KEY_MISMATCH');
    expect((await errorOf(s.readFile('/root/x'))).code).toBe('HOST_KEY_MISMATCH');

    s.retrust(fresh ?? '');
    expect((await s.run('echo trusted')).stdout).toBe('trusted\n');
  });

  it('stops cleanly: no process, mount or file left behind', async () => {
    const extra = await startTestServer();
    const root = extra.root;
    await extra.stop();
    expect(existsSync(root)).toBe(false);
    expect(await readFile('/proc/self/mountinfo', 'utf8')).not.toContain(root);
  });
});
