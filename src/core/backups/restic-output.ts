/** What restic and the host scripts print, read into Hearth's types. Pure: no I/O here. */
import { z } from 'zod';
import type { BackupRunStatus, Snapshot } from '../../shared/contract/backups.ts';

/** One entry of `restic snapshots --json`. */
export const ResticSnapshot = z.object({
  time: z.string(),
  id: z.string(),
  short_id: z.string(),
  paths: z.array(z.string()),
  tags: z.array(z.string()).nullable().optional(),
});
export type ResticSnapshot = z.infer<typeof ResticSnapshot>;

/** <stateDir>/status.json, which hearth-backup.sh writes after every run. */
const StatusFile = z.object({
  lastSuccess: z
    .object({ at: z.string(), snapshotId: z.string(), durationSeconds: z.number(), bytesAdded: z.number(), accounts: z.number(), kind: z.string() })
    .nullable(),
  lastError: z.object({ at: z.string(), message: z.string(), kind: z.string() }).nullable(),
  lastRun: z.object({ ok: z.boolean() }).nullable().optional(),
});

/** One repository's latest commit, as manifest.tsv (in each snapshot) and `hearth-restore.sh heads` list them. */
export interface HeadLine {
  did: string;
  cid: string;
  rev: string;
  records: number;
}

/** status.json's text as the screen shows it; null when it is not what the scripts write. */
export function parseStatus(text: string): BackupRunStatus | null {
  const parsed = StatusFile.safeParse(JSON.parse(text));
  if (!parsed.success) return null;
  const { lastSuccess, lastError, lastRun } = parsed.data;
  return { lastSuccess, lastError, failing: lastRun ? !lastRun.ok : false };
}

/** `restic snapshots --json` output. */
export function parseResticSnapshots(stdout: string): ResticSnapshot[] {
  return z.array(ResticSnapshot).parse(JSON.parse(stdout));
}

/**
 * Hearth's snapshots, newest first: restic's list with the counts the backup script put in its
 * tags, and the bytes each one added from history.tsv (`<id>\t<bytes>` lines).
 */
export function toSnapshots(raw: ResticSnapshot[], historyTsv: string): Snapshot[] {
  const history = new Map(
    historyTsv
      .split('\n')
      .map((l) => l.split('\t'))
      .filter((p): p is [string, string] => p.length === 2)
      .map(([id, added]) => [id, Number(added)] as const),
  );
  const tag = (s: ResticSnapshot, name: string) => {
    const t = s.tags?.find((x) => x.startsWith(`${name}=`));
    return t ? t.slice(name.length + 1) : null;
  };
  const num = (v: string | null) => (v === null || !/^\d+$/.test(v) ? null : Number(v));
  return raw
    .map((s) => ({
      id: s.id,
      shortId: s.short_id,
      time: new Date(s.time).toISOString(),
      kind: tag(s, 'kind') ?? 'scheduled',
      accounts: num(tag(s, 'accounts')),
      records: num(tag(s, 'records')),
      size: num(tag(s, 'bytes')),
      bytesAdded: history.get(s.short_id) ?? history.get(s.id) ?? null,
    }))
    .sort((a, b) => b.time.localeCompare(a.time));
}

/** Tab-separated `did cid rev records` lines. */
export function parseHeads(text: string): HeadLine[] {
  return text
    .split('\n')
    .map((l) => l.split('\t'))
    .filter((p) => p.length >= 4 && p[0])
    .map(([did = '', cid = '', rev = '', records = '0']) => ({ did, cid, rev, records: Number(records) }));
}

/** `hearth-restore.sh heads` output: an `accounts <n>` line, then the heads. */
export function parseLiveHeads(stdout: string): { accounts: number; heads: HeadLine[] } {
  const [first = '', ...rest] = stdout.split('\n');
  return { accounts: Number(first.replace('accounts ', '')) || 0, heads: parseHeads(rest.join('\n')) };
}

/**
 * Why restic failed, from its stderr, in the host scripts' exit codes (see scriptError): 3 the
 * store is unreachable, 4 refused (keys, password, bucket), else 1. The message is its Fatal line.
 */
export function resticFailure(stderr: string): { code: number; message: string } {
  const last = stderr.trim().split('\n').filter(Boolean);
  const text = last.join(' ');
  const code = /connection refused|no such host|dial tcp|i\/o timeout/.test(text) ? 3 : /wrong password|bucket does not exist|signature|Access Key/i.test(text) ? 4 : 1;
  return { code, message: last.find((l) => l.startsWith('Fatal:')) ?? last.pop() ?? 'restic failed' };
}

/** The reason a host script gives for stopping: its last "hearth: " line, else its last stderr line. */
export function scriptFailureMessage(stderr: string, script: string, code: number): string {
  const said = stderr
    .split('\n')
    .filter((l) => l.startsWith('hearth: '))
    .pop()
    ?.slice('hearth: '.length);
  return said ?? (stderr.trim().split('\n').pop() || `${script} failed (exit ${code})`);
}

/** The JSON a host script prints on its `result ` line, still as text (undefined when there is none). */
export function findResultLine(stdout: string): string | undefined {
  return stdout.split('\n').find((l) => l.startsWith('result '))?.slice('result '.length);
}
