/**
 * Backups on a real server over SSH: a Debian 12 test server (namespaces, its own sshd), the S3
 * fixture on loopback, restic installed there from Debian by Hearth, the scripts and units uploaded
 * by Hearth. The PDS data is a real one (made by the sandbox's PDS on this machine, then copied
 * into the server's /pds while stopped): the server needs no PDS running to be backed up.
 * The test server's init cannot fire timers: the service is started directly, and the timer unit
 * is validated offline (systemd-analyze).
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AtpAgent } from '@atproto/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackupService, sshBackupHost, type BackupHost } from '../src/core/backups/index.ts';
import { HOST_SCRIPTS_DIR, hostFiles } from './support/host-files.ts';
import { SshSession } from '../src/core/hosts/ssh/index.ts';
import type { JobContext } from '../src/core/jobs/job-context.ts';
import { Redactor } from '../src/core/log/redact.ts';
import { Sandbox } from '../src/core/sandbox/index.ts';
import { KeyringSecretStore } from '../src/core/secrets/keyring-store.ts';
import { startS3Server, type S3Fixture } from './support/s3-server.ts';
import { startTestServer, testServerUnavailable, type TestServer } from './support/test-server.ts';

const exec = promisify(execFile);
const unavailable = testServerUnavailable();

function jobContext(signal: AbortSignal = new AbortController().signal): JobContext {
  return { id: `test-${randomUUID()}`, signal, progress: () => undefined, log: () => undefined };
}

describe('backup unit files (validated offline: the test server cannot fire timers)', () => {
  it('the timer and service pass systemd-analyze verify; the default schedule is daily at 03:30', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hearth-units-'));
    try {
      await cp(join(HOST_SCRIPTS_DIR, 'hearth-backup.timer'), join(dir, 'hearth-backup.timer'));
      // verify checks that ExecStart exists: point it at a binary this machine has.
      const service = (await readFile(join(HOST_SCRIPTS_DIR, 'hearth-backup.service'), 'utf8')).replace('/usr/local/lib/hearth/hearth-backup.sh', '/bin/true');
      await writeFile(join(dir, 'hearth-backup.service'), service);
      const verified = await exec('systemd-analyze', ['verify', join(dir, 'hearth-backup.timer'), join(dir, 'hearth-backup.service')]);
      expect(verified.stderr).toBe('');
      const timer = await readFile(join(HOST_SCRIPTS_DIR, 'hearth-backup.timer'), 'utf8');
      const onCalendar = /^OnCalendar=(.*)$/m.exec(timer)?.[1] ?? '';
      const { stdout } = await exec('systemd-analyze', ['calendar', onCalendar]);
      expect(stdout).toContain('Normalized form: *-*-* 03:30:00');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('the scripts refuse a settings file that others can read', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hearth-env-'));
    try {
      const env = join(dir, 'backup.env');
      await writeFile(env, 'PDS_DATA_DIR=/nonexistent\n', { mode: 0o644 });
      const failed = await exec(join(HOST_SCRIPTS_DIR, 'hearth-backup.sh'), [], { env: { ...process.env, HEARTH_BACKUP_ENV: env } }).catch((e: { code: number; stderr: string }) => e);
      expect(failed).toMatchObject({ code: 1, stderr: expect.stringContaining('must be mode 600') });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(unavailable)('backups on a server over SSH (test server)', () => {
  let server: TestServer;
  let s3: S3Fixture;
  let dataDir: string;
  let store: KeyringSecretStore;
  let session: SshSession;
  let service: BackupService;
  let host: BackupHost;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'hearth-backups-ssh-'));
    [server, s3] = await Promise.all([startTestServer(), startS3Server()]);
    const redactor = new Redactor();
    store = new KeyringSecretStore({ service: `hearth-test-${randomUUID()}`, redactor });
    // Real PDS data: made by a real PDS here, copied into the server's /pds while stopped.
    const sandbox = new Sandbox({ dataDir: join(dataDir, 'maker'), secrets: store, redactor });
    const { pdsUrl } = await sandbox.start(jobContext());
    for (let i = 0; i < 3; i++) {
      const agent = new AtpAgent({ service: pdsUrl });
      await agent.createAccount({ handle: `ssh${i}-${randomUUID().slice(0, 4)}.test`, email: `s${i}@example.com`, password: `pw-${randomUUID()}` });
      await agent.post({ text: `hello ${i}` });
    }
    await sandbox.stop();
    await cp(sandbox.paths.pdsData, join(server.root, 'pds'), { recursive: true });
    await writeFile(join(server.root, 'pds', 'pds.env'), 'PDS_HOSTNAME=pds.example.test\n', { mode: 0o600 });
    session = new SshSession({ host: server.host, port: server.port, username: server.username, privateKey: server.privateKey, hostKey: server.hostKeyFingerprint });
    service = new BackupService({ dataDir, secrets: store, redactor });
    host = sshBackupHost({
      serverId: 'ts',
      name: 'Test server',
      url: 'http://127.0.0.1:9',
      session,
      fetch: globalThis.fetch,
      files: hostFiles,
      onCalendar: async () => '*-*-* 04:15:00',
    });
  }, 600_000);

  afterAll(async () => {
    session?.close();
    await Promise.all([server?.stop(), s3?.close()]);
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('sets up: restic installed, scripts and units uploaded, settings root-only on the server, nothing secret on this computer', async () => {
    const target = { endpoint: s3.endpoint, region: s3.region, bucket: 'hearth-backups', prefix: 'ts', pathStyle: true, accessKeyId: s3.accessKeyId };
    await service.configure(host, target, s3.secretAccessKey, { onCalendar: '*-*-* 04:15:00', keepDaily: 7, keepWeekly: 4, keepMonthly: 12 });
    expect((await server.exec('restic version')).stdout).toContain('restic');
    const env = await stat(join(server.root, 'etc/hearth/backup.env'));
    expect(env.mode & 0o777).toBe(0o600);
    expect(env.uid).toBe(0);
    expect(await readFile(join(server.root, 'etc/hearth/backup.env'), 'utf8')).toContain(s3.secretAccessKey);
    expect(await readFile(join(server.root, 'etc/systemd/system/hearth-backup.timer'), 'utf8')).toContain('OnCalendar=*-*-* 04:15:00');
    const { stdout } = await exec('grep', ['-rl', s3.secretAccessKey, dataDir]).catch(() => ({ stdout: '' }));
    expect(stdout).toBe('');
  }, 300_000);

  it('the backup service, started directly, backs up and writes the status file', async () => {
    const started = await server.exec('systemctl start hearth-backup.service >/dev/null 2>&1; echo $?');
    expect(started.stdout.trim()).toBe('0');
    const status = JSON.parse(await readFile(join(server.root, 'var/lib/hearth-backup/status.json'), 'utf8')) as { lastRun: { ok: boolean; kind: string }; lastSuccess: { accounts: number } };
    expect(status.lastRun).toMatchObject({ ok: true, kind: 'scheduled' });
    expect(status.lastSuccess.accounts).toBe(3);
    const snaps = await service.snapshots(host);
    expect(snaps[0]).toMatchObject({ kind: 'scheduled', accounts: 3 });
  }, 300_000);

  it('SSH connection dropped mid-backup: the repository passes restic check and the next backup works', async () => {
    // Something new to upload, so the drop lands mid-transfer.
    await server.exec('mkdir -p /pds/blocks/big && head -c 40000000 /dev/urandom > /pds/blocks/big/blob');
    const puts = s3.putCount();
    const running = service.backup(host, jobContext()).then(
      () => 'finished',
      (err: { code?: string }) => err.code ?? 'failed',
    );
    const deadline = Date.now() + 120_000;
    while (s3.putCount() === puts && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    session.close();
    // 40 MB is still uploading when the connection goes: the run fails as a network problem.
    expect(await running).toBe('NETWORK');
    // Whatever the server did with the cut-off run, wait until it is over.
    for (let i = 0; i < 600; i++) {
      if ((await server.exec('pgrep -x restic >/dev/null; echo $?')).stdout.trim() === '1') break;
      await new Promise((r) => setTimeout(r, 200));
    }
    await expect(service.verify(host, jobContext())).resolves.toMatchObject({ ok: true, accounts: 3 });
    await expect(service.backup(host, jobContext())).resolves.toMatchObject({ ok: true, accounts: 3 });
  }, 300_000);
});
