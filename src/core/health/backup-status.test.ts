import { describe, expect, it } from 'vitest';
import type { BackupRunStatus } from '../../shared/contract/backups.ts';
import { HearthError } from '../../shared/errors.ts';
import type { BackupHost } from '../backups/service.ts';
import { Redactor } from '../log/redact.ts';
import { backupStatusReader, type BackupStatusDeps } from './backup-status.ts';

// The backup service and host are stood in (the real ones, over a real backup to a real S3
// server, are in test/backups-health.test.ts): these are the ways reading the status goes wrong.

const SECRET = 'the-s3-secret-key-1234';

function deps(over: { stored?: () => Promise<unknown>; hostFor?: () => Promise<BackupHost>; status?: () => Promise<BackupRunStatus | null> }): BackupStatusDeps {
  const redactor = new Redactor();
  const host = { name: 'Home PDS', scheduled: true } as BackupHost;
  return {
    redactor,
    // Like the keychain store: what it reads is registered with the redactor.
    secrets: {
      get: async (account) => {
        const value = account.endsWith('/backup-s3-secret') ? SECRET : null;
        redactor.register(value);
        return value;
      },
    },
    backups: {
      hostFor: over.hostFor ?? (async () => host),
      service: { stored: over.stored ?? (async () => ({ target: {} })), status: over.status ?? (async () => null) },
    },
  };
}

describe('reading a server’s backup status for health', () => {
  it('is null without a backup target', async () => {
    expect(await backupStatusReader(deps({ stored: async () => null }))('home', 'Home PDS')).toBeNull();
  });

  it('reports a failure with its time and message, with the store’s secret redacted', async () => {
    const reading = await backupStatusReader(
      deps({
        status: async () => ({
          lastSuccess: { at: '2026-11-22T03:30:00Z', snapshotId: 'abc', durationSeconds: 3, bytesAdded: 10, accounts: 2, kind: 'scheduled' },
          lastError: { at: '2026-11-23T03:30:00Z', message: `refused key ${SECRET}`, kind: 'scheduled' },
          failing: true,
        }),
      }),
    )('home', 'Home PDS');
    expect(reading).toEqual({
      name: 'Home PDS',
      scheduled: true,
      health: { failing: true, lastSuccessAt: '2026-11-22T03:30:00Z', lastError: { at: '2026-11-23T03:30:00Z', message: 'refused key [redacted]' }, problem: null },
    });
  });

  it('says in plain words when the status cannot be read, and never throws', async () => {
    const read = (d: BackupStatusDeps, timeoutMs?: number) => backupStatusReader(d, timeoutMs)('home', 'Home PDS');
    const problem = async (d: BackupStatusDeps, timeoutMs?: number) => (await read(d, timeoutMs))?.health;

    expect(await problem(deps({ hostFor: async () => Promise.reject(new HearthError('NETWORK', 'Could not reach 203.0.113.5 over SSH', 'Check it')) }))).toEqual({
      failing: false,
      lastSuccessAt: null,
      lastError: null,
      problem: 'Hearth could not read the backup status: Could not reach 203.0.113.5 over SSH.',
    });
    expect((await problem(deps({ status: () => new Promise(() => undefined) }), 50))?.problem).toBe(
      'Hearth could not read the backup status: the server did not answer in time.',
    );
    expect((await problem(deps({ status: async () => JSON.parse('{"lastSucc') as never })))?.problem).toBe(
      'Hearth could not read the backup status: its status file is damaged. The next backup writes a new one.',
    );
    expect((await problem(deps({ stored: async () => Promise.reject(new HearthError('INTERNAL', 'The backup settings file is damaged.', '')) })))?.problem).toBe(
      'Hearth could not read the backup status: The backup settings file is damaged.',
    );
  });
});
