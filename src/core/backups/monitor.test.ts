import { afterEach, describe, expect, it } from 'vitest';
import type { AppNotification } from '../../shared/contract/app.ts';
import type { BackupHealth } from '../../shared/contract/servers.ts';
import { EventBus } from '../events.ts';
import type { BackupReading } from './monitor.ts';
import { BackupMonitor } from './monitor.ts';

// The status reader is stood in here (the real one, over a real backup, is in
// test/backups-health.test.ts); the bus is the real one core uses, with its contract checks.

const failing = (at: string, message: string): BackupHealth => ({ failing: true, lastSuccessAt: null, lastError: { at, message }, problem: null });
const fine: BackupHealth = { failing: false, lastSuccessAt: '2026-11-23T10:00:00Z', lastError: null, problem: null };

function world(scheduled = true) {
  const bus = new EventBus();
  const notices: AppNotification[] = [];
  bus.subscribe((event, payload) => event === 'app.notification' && notices.push(payload as AppNotification));
  const health = new Map<string, BackupHealth | null>();
  let reads = 0;
  const servers = [
    { id: 'sandbox', name: 'This computer (sandbox)' },
    { id: 'home', name: 'Home PDS' },
  ];
  const monitor = new BackupMonitor({
    servers: { list: () => servers },
    bus,
    intervalMs: 20,
    read: async (serverId, name): Promise<BackupReading | null> => {
      reads += 1;
      await new Promise((r) => setTimeout(r, 5));
      const h = health.get(serverId);
      return h ? { name, scheduled, health: h } : null;
    },
  });
  monitors.push(monitor);
  return { bus, notices, health, monitor, reads: () => reads };
}

const monitors: BackupMonitor[] = [];
afterEach(() => {
  for (const m of monitors.splice(0)) m.stop();
});

describe('BackupMonitor', () => {
  it('notifies a failed backup once, however often it checks, and a new failure again', async () => {
    const { notices, health, monitor } = world();
    health.set('home', failing('2026-11-23T03:30:00Z', 'Fatal: unable to open repository at s3:http://store/b: connection refused.'));
    health.set('sandbox', fine);
    await monitor.checkAll();
    await monitor.checkAll();
    await monitor.check('home');
    expect(notices).toEqual([
      {
        id: 'backup-failed:home:2026-11-23T03:30:00Z',
        kind: 'backup-failed',
        serverId: 'home',
        title: 'Backup failed: Home PDS',
        body: 'Backup of Home PDS failed: Fatal: unable to open repository at s3:http://store/b: connection refused. Hearth will try again at the next scheduled run; open Backups to retry now.',
        at: '2026-11-23T03:30:00Z',
      },
    ]);
    expect(monitor.active()).toEqual(notices);
    // The next run fails too: that is news.
    health.set('home', failing('2026-11-24T03:30:00Z', 'S3 unreachable'));
    await monitor.check('home');
    expect(notices.map((n) => n.id)).toEqual(['backup-failed:home:2026-11-23T03:30:00Z', 'backup-failed:home:2026-11-24T03:30:00Z']);
    // A window opened now is told about the latest failure only.
    expect(monitor.active().map((n) => n.id)).toEqual(['backup-failed:home:2026-11-24T03:30:00Z']);

    // The status cannot be read for a while (server down): what was known stands.
    health.set('home', { failing: false, lastSuccessAt: null, lastError: null, problem: 'Hearth could not read the backup status: no answer.' });
    await monitor.check('home');
    expect(monitor.active()).toHaveLength(1);
    // The next run works: nothing is still true, nothing new is said.
    health.set('home', { ...fine, lastSuccessAt: '2026-11-25T03:30:00Z' });
    await monitor.check('home');
    expect(monitor.active()).toEqual([]);
    expect(notices).toHaveLength(2);
  });

  it('a long message is cut to its plain-words start (the screens show all of it)', async () => {
    const { notices, health, monitor } = world();
    const restic = 'The backup did not finish: The backup store is unreachable. Fatal: unable to open config file: Stat: Head "http://127.0.0.1:40549/hearth-backups/e2e-failure/config": dial tcp 127.0.0.1:40549: connect: connection refused Is there a repository at the following location?';
    health.set('home', failing('2026-11-23T03:30:00Z', restic));
    await monitor.check('home');
    expect(notices[0]?.body).toBe(
      'Backup of Home PDS failed: The backup did not finish: The backup store is unreachable. Hearth will try again at the next scheduled run; open Backups to retry now.',
    );
  });

  it('says nothing for servers whose last backup worked or that have no target', async () => {
    const { notices, health, monitor } = world();
    health.set('sandbox', { ...fine, lastError: { at: '2026-11-20T03:30:00Z', message: 'old failure' } });
    await monitor.checkAll();
    expect(notices).toEqual([]);
  });

  it('checks at start, on backups.changed and on its timer; overlapping checks notify once', async () => {
    const { bus, notices, health, monitor, reads } = world(false);
    health.set('sandbox', failing('2026-11-23T12:00:00Z', 'no route to host'));
    monitor.start();
    await expect.poll(() => notices.length).toBe(1);
    expect(notices[0]?.body).toBe('Backup of This computer (sandbox) failed: no route to host. Open Backups to try again.');

    health.set('sandbox', failing('2026-11-23T12:05:00Z', 'still no route'));
    for (let i = 0; i < 5; i++) bus.emit('backups.changed', { serverId: 'sandbox' });
    await expect.poll(() => notices.length).toBe(2);
    const before = reads();
    await expect.poll(() => reads(), { timeout: 2_000 }).toBeGreaterThan(before + 4);
    expect(notices).toHaveLength(2);

    monitor.stop();
    health.set('sandbox', failing('2026-11-23T12:10:00Z', 'after stop'));
    bus.emit('backups.changed', { serverId: 'sandbox' });
    await new Promise((r) => setTimeout(r, 100));
    expect(notices).toHaveLength(2);
  });

  it('keeps going when reading one server fails', async () => {
    const bus = new EventBus();
    const notices: unknown[] = [];
    const errors: unknown[] = [];
    bus.subscribe((event, payload) => event === 'app.notification' && notices.push(payload));
    const monitor = new BackupMonitor({
      servers: { list: () => [{ id: 'a', name: 'A' }, { id: 'b', name: 'B' }] },
      bus,
      read: async (id, name) => {
        if (id === 'a') throw new Error('boom');
        return { name, scheduled: true, health: failing('2026-11-23T01:00:00Z', 'disk full') };
      },
      onError: (err) => errors.push(err),
    });
    await monitor.checkAll();
    expect(notices).toHaveLength(1);
    expect(errors).toHaveLength(1);
  });
});
