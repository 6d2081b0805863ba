/**
 * A failed backup is visible in health and raises a notification, against real components: a real
 * Hearth core with its sandbox (real PLC and PDS), real restic, the S3 fixture (stopped to make
 * the store unreachable), the real keychain (run inside scripts/with-keyring.sh).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type HearthApp } from '../src/core/app.ts';
import type { AppNotification, ServerHealth } from '../src/shared/contract/index.ts';
import { contractCalls } from './support/calls.ts';
import { startS3Server, type S3Fixture } from './support/s3-server.ts';
import { startSandboxApp, type SandboxApp } from './support/sandbox-app.ts';
import { HOST_SCRIPTS_DIR } from './support/host-files.ts';

const CHECK_EVERY_MS = 300;

let s3: S3Fixture;
let sandbox: SandboxApp;
const notices: AppNotification[] = [];
const { call, settled, failure } = contractCalls(() => sandbox.app);

const backup = async () => settled((await call('backups.backupNow', { serverId: 'sandbox' })).jobId, 180_000);
const health = async (): Promise<ServerHealth> => call('servers.health', { serverId: 'sandbox' });
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  s3 = await startS3Server();
  sandbox = await startSandboxApp({ backupCheckIntervalMs: CHECK_EVERY_MS });
  sandbox.app.subscribe((event, payload) => {
    if (event === 'app.notification') notices.push(payload as AppNotification);
  });
}, 180_000);

afterAll(async () => {
  await s3?.start().catch(() => undefined);
  await sandbox?.stop();
  await s3?.close();
});

describe('a failed backup in health and notifications (sandbox, restic, local S3)', () => {
  it('health has no backup part while no target is set up', async () => {
    expect((await health()).backup).toBeNull();
  });

  it('after a good backup, health shows when it was and nothing is notified', async () => {
    const { jobId: setupJobId } = await call('backups.configure', {
      serverId: 'sandbox',
      endpoint: s3.endpoint,
      region: s3.region,
      bucket: 'hearth-backups',
      prefix: 'health',
      pathStyle: true,
      accessKeyId: s3.accessKeyId,
      secretAccessKey: s3.secretAccessKey,
    });
    // Setup is a job that holds the server: a backup asked for meanwhile is refused, naming it.
    const busy = await failure('backups.backupNow', { serverId: 'sandbox' });
    expect(busy.code).toBe('CONFLICT');
    expect(busy.message).toBe('Another operation is running on This computer (sandbox): “Set up backups”.');
    expect((await settled(setupJobId, 180_000)).state).toBe('succeeded');
    const job = await backup();
    expect(job.state).toBe('succeeded');
    const { backup: status, status: pds } = await health();
    expect(pds).toBe('healthy');
    expect(status).toMatchObject({ failing: false, lastError: null, problem: null });
    expect(Date.parse(status?.lastSuccessAt ?? '')).toBeGreaterThan(Date.now() - 5 * 60_000);
    await pause(CHECK_EVERY_MS * 3);
    expect(notices).toEqual([]);
  });

  let failedAt = '';
  it('a backup that cannot reach the store shows as failing, with the reason, and is notified exactly once', async () => {
    await s3.stop();
    const job = await backup();
    expect(job.state).toBe('failed');

    const { backup: status } = await health();
    expect(status?.failing).toBe(true);
    expect(status?.lastError?.message).toContain('unreachable');
    expect(status?.problem).toBeNull();
    failedAt = status?.lastError?.at ?? '';

    await expect.poll(() => notices.length, { timeout: 10_000 }).toBe(1);
    const [notice] = notices;
    expect(notice).toMatchObject({ kind: 'backup-failed', serverId: 'sandbox', title: 'Backup failed: This computer (sandbox)' });
    expect(notice?.body).toMatch(/^Backup of This computer \(sandbox\) failed: .*unreachable.*\. Open Backups to try again\.$/);
    expect(notice?.body).not.toContain(s3.secretAccessKey);

    // The monitor keeps checking (several periods, and health is read again): no repeat.
    await pause(CHECK_EVERY_MS * 5);
    await health();
    expect(notices).toHaveLength(1);
    // A window opened now still learns about it.
    expect(await call('app.notifications', {})).toEqual(notices);
  });

  it('a Hearth started later (the failure happened while it was closed) tells about it at start', async () => {
    const later: HearthApp = await createApp({ dataDir: sandbox.dataDir, host: 'web', hostFilesDir: HOST_SCRIPTS_DIR, resolveOverrides: process.env.HEARTH_RESOLVE, version: '0.0.0-test', keychainService: sandbox.keychainService });
    const seen: AppNotification[] = [];
    later.subscribe((event, payload) => event === 'app.notification' && seen.push(payload as AppNotification));
    try {
      await expect.poll(() => seen.length, { timeout: 10_000 }).toBe(1);
      expect(seen[0]?.id).toBe(notices[0]?.id);
      const reply = await later.dispatch('app.notifications', {});
      expect(reply).toEqual({ ok: true, result: seen });
    } finally {
      await later.close();
    }
  });

  it('once the store is back and a backup works, health shows it fine again and nothing more is notified', async () => {
    await s3.start();
    const job = await backup();
    expect(job.state).toBe('succeeded');
    const { backup: status } = await health();
    expect(status?.failing).toBe(false);
    expect(Date.parse(status?.lastSuccessAt ?? '')).toBeGreaterThan(Date.parse(failedAt));
    await pause(CHECK_EVERY_MS * 3);
    expect(notices).toHaveLength(1);
    expect(await call('app.notifications', {})).toEqual([]);
  });
});
