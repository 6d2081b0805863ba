import type { BackupRunStatus } from '../../shared/contract/backups.ts';
import { HearthError } from '../../shared/errors.ts';
import type { BackupReading } from '../backups/monitor.ts';
import type { BackupHost } from '../backups/service.ts';
import type { Redactor } from '../log/redact.ts';
import { RESTIC_PASSWORD, S3_SECRET } from '../secrets/names.ts';
import { secretAccount } from '../secrets/secret-store.ts';

/** A slow or hung server must not hold up health: past this, the status counts as unreadable. */
const READ_TIMEOUT_MS = 8_000;

/** What reading a server's backup status needs (a slice of Services, so tests can stand it in). */
export interface BackupStatusDeps {
  backups: {
    hostFor(serverId: string): Promise<BackupHost>;
    service: { stored(serverId: string): Promise<unknown>; status(host: BackupHost): Promise<BackupRunStatus | null> };
  };
  secrets: { get(account: string): Promise<string | null> };
  redactor: Redactor;
}

/**
 * Reads the status file the backup script leaves on a server, for health and the backup monitor.
 * Null when no backup target is set up. Never throws: a status that cannot be read is reported in
 * plain words. Messages from the server are redacted with the server's backup secrets, which are
 * read from the keychain once so the redactor knows them even before any backup ran in this process.
 */
export function backupStatusReader(deps: BackupStatusDeps, timeoutMs = READ_TIMEOUT_MS) {
  const primed = new Set<string>();
  const prime = async (serverId: string) => {
    if (primed.has(serverId)) return;
    primed.add(serverId);
    for (const name of [S3_SECRET, RESTIC_PASSWORD]) await deps.secrets.get(secretAccount(serverId, name)).catch(() => null);
  };

  return async (serverId: string, serverName: string): Promise<BackupReading | null> => {
    const unreadable = (why: string): BackupReading => ({
      name: serverName,
      scheduled: false,
      health: { failing: false, lastSuccessAt: null, lastError: null, problem: `Hearth could not read the backup status: ${why}` },
    });
    let stored: unknown;
    try {
      stored = await deps.backups.service.stored(serverId);
    } catch (err) {
      return unreadable(plainWords(err));
    }
    if (!stored) return null;
    try {
      const { host, status } = await withTimeout(
        (async () => {
          const host = await deps.backups.hostFor(serverId);
          return { host, status: await deps.backups.service.status(host) };
        })(),
        timeoutMs,
      );
      await prime(serverId);
      const redact = (text: string) => deps.redactor.redact(text);
      return {
        name: host.name,
        scheduled: host.scheduled,
        health: {
          failing: status?.failing ?? false,
          lastSuccessAt: status?.lastSuccess?.at ?? null,
          lastError: status?.lastError ? { at: status.lastError.at, message: redact(status.lastError.message) } : null,
          problem: null,
        },
      };
    } catch (err) {
      return unreadable(deps.redactor.redact(plainWords(err)));
    }
  };
}

function plainWords(err: unknown): string {
  if (err instanceof HearthError) return sentence(err.message);
  if (err instanceof SyntaxError) return 'its status file is damaged. The next backup writes a new one.';
  if (err instanceof Error && err.message === 'timeout') return 'the server did not answer in time.';
  return sentence(err instanceof Error ? err.message : String(err));
}

const sentence = (text: string) => (/[.!?]$/.test(text.trim()) ? text.trim() : `${text.trim()}.`);

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timeout')), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
