/**
 * Watches every server's backup status and tells the user, once, when a backup failed: scheduled
 * runs happen on the server while Hearth may be closed, so it looks at start, after every backup
 * job (`backups.changed`) and every few minutes.
 *
 * "Once" is per Hearth process: a failure already notified is not notified again on the next
 * check, but a Hearth started later tells about a failure that is still the latest run once more
 * (the user may have missed it; there is no record of what was seen).
 */
import type { AppNotification } from '../../shared/contract/app.ts';
import type { BackupHealth } from '../../shared/contract/servers.ts';
import type { EventBus } from '../events.ts';

export const BACKUP_CHECK_INTERVAL_MS = 5 * 60_000;

/** One server's backup status as health and the monitor see it. */
export interface BackupReading {
  health: BackupHealth;
  /** The server's name, for words shown to people. */
  name: string;
  /** Whether a timer on the server retries by itself (the sandbox has none). */
  scheduled: boolean;
}

export interface BackupMonitorOptions {
  servers: { list(): { id: string; name: string }[] };
  /** The status of one server's backups; null when it has no backup target (backupStatusReader). */
  read(serverId: string, serverName: string): Promise<BackupReading | null>;
  bus: Pick<EventBus, 'emit' | 'subscribe'>;
  intervalMs?: number;
  onError?: (err: unknown) => void;
}

export class BackupMonitor {
  readonly #options: BackupMonitorOptions;
  /** `<serverId> <lastError.at>` of every failure already notified. */
  readonly #notified = new Set<string>();
  /** The notice of each server whose latest backup is still the failed one. */
  readonly #active = new Map<string, AppNotification>();
  readonly #running = new Map<string, Promise<void>>();
  readonly #queued = new Map<string, Promise<void>>();
  #timer: NodeJS.Timeout | null = null;
  #unsubscribe: (() => void) | null = null;
  #stopped = false;

  constructor(options: BackupMonitorOptions) {
    this.#options = options;
  }

  start(): void {
    if (this.#timer || this.#stopped) return;
    this.#unsubscribe = this.#options.bus.subscribe((event, payload) => {
      if (event === 'backups.changed') void this.check((payload as { serverId: string }).serverId);
    });
    this.#timer = setInterval(() => void this.checkAll(), this.#options.intervalMs ?? BACKUP_CHECK_INTERVAL_MS);
    // A timer alone must not keep Hearth (or a test) running.
    this.#timer.unref();
    // The first look waits a turn, so the host that just created the app has subscribed by then.
    setTimeout(() => void this.checkAll(), 0).unref();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    this.#unsubscribe?.();
    this.#unsubscribe = null;
  }

  /** Notices raised that are still true, newest first, for a window opened after they were sent. */
  active(): AppNotification[] {
    const known = new Set(this.#options.servers.list().map((s) => s.id));
    return [...this.#active.values()].filter((n) => known.has(n.serverId)).sort((a, b) => b.at.localeCompare(a.at));
  }

  async checkAll(): Promise<void> {
    let servers: { id: string }[];
    try {
      servers = this.#options.servers.list();
    } catch (err) {
      this.#options.onError?.(err);
      return;
    }
    await Promise.all(servers.map((s) => this.check(s.id)));
  }

  /**
   * Checks one server. Checks of the same server never overlap: one asked for while another runs
   * waits for it (and several such requests share one check), so a failure is seen once.
   */
  check(serverId: string): Promise<void> {
    const queued = this.#queued.get(serverId);
    if (queued) return queued;
    const before = this.#running.get(serverId) ?? Promise.resolve();
    const next = before.then(() => {
      this.#queued.delete(serverId);
      return this.#checkOnce(serverId);
    });
    this.#queued.set(serverId, next);
    this.#running.set(serverId, next);
    void next.finally(() => {
      if (this.#running.get(serverId) === next) this.#running.delete(serverId);
    });
    return next;
  }

  async #checkOnce(serverId: string): Promise<void> {
    if (this.#stopped) return;
    try {
      const server = this.#options.servers.list().find((s) => s.id === serverId);
      if (!server) return;
      const reading = await this.#options.read(serverId, server.name);
      if (!reading) {
        this.#active.delete(serverId);
        return;
      }
      // Unreadable (server down): what was known stays as it was.
      if (reading.health.problem) return;
      const error = reading.health.lastError;
      if (!reading.health.failing || !error) {
        this.#active.delete(serverId);
        return;
      }
      const key = `${serverId} ${error.at}`;
      if (this.#notified.has(key) || this.#stopped) return;
      this.#notified.add(key);
      const notice = backupFailedNotice(serverId, reading, error);
      this.#active.set(serverId, notice);
      this.#options.bus.emit('app.notification', notice);
    } catch (err) {
      this.#options.onError?.(err);
    }
  }
}

/** The words of the notification; the message is already redacted by the reader. */
export function backupFailedNotice(serverId: string, reading: BackupReading, error: { at: string; message: string }): AppNotification {
  const why = gist(error.message).replace(/[.\s]+$/, '') || 'no reason given';
  const next = reading.scheduled
    ? 'Hearth will try again at the next scheduled run; open Backups to retry now.'
    : 'Open Backups to try again.';
  return {
    id: `backup-failed:${serverId}:${error.at}`,
    kind: 'backup-failed',
    serverId,
    title: `Backup failed: ${reading.name}`,
    body: `Backup of ${reading.name} failed: ${why}. ${next}`.slice(0, 2000),
    at: error.at,
  };
}

const GIST_CHARS = 200;

/**
 * The plain-words start of a message, for a notification that shows a few lines at most: the
 * script's own sentences come first, restic's details (URLs, "Fatal: …") after them, and the
 * Servers and Backups screens show the whole message.
 */
function gist(message: string): string {
  const text = message.trim().replace(/\s+/g, ' ');
  if (text.length <= GIST_CHARS) return text;
  const head = text.slice(0, GIST_CHARS);
  const end = head.lastIndexOf('. ');
  return end > 0 ? head.slice(0, end + 1) : `${head.slice(0, GIST_CHARS - 1)}…`;
}
