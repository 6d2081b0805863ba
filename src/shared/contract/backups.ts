import { z } from 'zod';
import { call } from './define.ts';
import { JobId } from './jobs.ts';
import { WebSettings } from './hosts.ts';
import { ServerId } from './servers.ts';

/** Where backups go: any S3-compatible store. The secret key never comes back out of core. */
export const BackupTargetFields = z.object({
  endpoint: z.url(),
  region: z.string().trim().max(64).default('us-east-1'),
  bucket: z.string().trim().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'not a bucket name (lower-case letters, digits, dots and dashes)'),
  /** Folder inside the bucket, so one bucket can hold several servers' backups. */
  prefix: z.string().trim().regex(/^[A-Za-z0-9._/-]{0,200}$/, 'letters, digits, . _ - and / only').default(''),
  pathStyle: z.boolean().default(true),
  accessKeyId: z.string().trim().min(1).max(256),
});
export type BackupTargetFields = z.infer<typeof BackupTargetFields>;

export const BackupSchedule = z.object({
  /** systemd OnCalendar, e.g. "*-*-* 03:30:00". */
  onCalendar: z.string().regex(/^[0-9*:\- ,./A-Za-z~]{1,64}$/, 'not a calendar expression'),
  keepDaily: z.number().int().min(1).max(366),
  keepWeekly: z.number().int().min(0).max(520),
  keepMonthly: z.number().int().min(0).max(1200),
});
export type BackupSchedule = z.infer<typeof BackupSchedule>;

export const BackupRunStatus = z.object({
  lastSuccess: z
    .object({ at: z.string(), snapshotId: z.string(), durationSeconds: z.number(), bytesAdded: z.number(), accounts: z.number(), kind: z.string() })
    .nullable(),
  lastError: z.object({ at: z.string(), message: z.string(), kind: z.string() }).nullable(),
  /** True when the most recent run failed. */
  failing: z.boolean(),
});
export type BackupRunStatus = z.infer<typeof BackupRunStatus>;

export const BackupOverview = z.object({
  serverId: ServerId,
  target: BackupTargetFields.extend({ hasSecret: z.boolean() }).nullable(),
  schedule: BackupSchedule,
  status: BackupRunStatus.nullable(),
  /** Whether backups run by themselves there (a systemd timer); the sandbox has none. */
  scheduled: z.boolean(),
  /** When the timer fires next, when known. */
  nextRun: z.string().nullable(),
  /** Plain words about how backups run on this server. */
  note: z.string(),
  /** Set when the server cannot be reached: its status is unknown (its backups are safe in the store). */
  unreachable: z.string().nullable().optional(),
});
export type BackupOverview = z.infer<typeof BackupOverview>;

export const Snapshot = z.object({
  id: z.string(),
  shortId: z.string(),
  time: z.string(),
  kind: z.string(),
  accounts: z.number().nullable(),
  records: z.number().nullable(),
  /** Bytes the backup held (before deduplication), when known. */
  size: z.number().nullable(),
  /** New bytes this snapshot added to the store, when known. */
  bytesAdded: z.number().nullable(),
});
export type Snapshot = z.infer<typeof Snapshot>;

export const RepoChange = z.object({
  did: z.string(),
  now: z.object({ rev: z.string(), records: z.number() }).nullable(),
  snapshot: z.object({ rev: z.string(), records: z.number() }).nullable(),
  change: z.enum(['same', 'reverted', 'removed', 'returns']),
});

export const RestorePlan = z.object({
  snapshot: Snapshot,
  now: z.object({ accounts: z.number(), records: z.number() }),
  then: z.object({ accounts: z.number(), records: z.number() }),
  repos: z.array(RepoChange),
  /** The name to type to confirm. */
  confirmName: z.string(),
});
export type RestorePlan = z.infer<typeof RestorePlan>;

/** Where a restored PDS's name points after disaster recovery, and whether every DID follows. */
export const MoveStatus = z.object({
  serverId: ServerId,
  hostname: z.string(),
  /** The address the DNS records (or the reserved IP) must point to. */
  address: z.string(),
  records: z.array(z.object({ type: z.literal('A'), name: z.string(), value: z.string() })),
  /** Which server the hostname reaches now: this one, another Hearth knows (by name), or none. */
  reaches: z.enum(['this', 'other', 'nothing']),
  reachedName: z.string().nullable(),
  dids: z.array(z.object({ did: z.string(), handle: z.string().nullable(), endpoint: z.string().nullable(), ok: z.boolean(), problem: z.string().nullable() })),
  /** True once the name reaches this server and every DID's PDS endpoint is this hostname. */
  done: z.boolean(),
  /** Plain words: what is left to do. */
  message: z.string(),
});
export type MoveStatus = z.infer<typeof MoveStatus>;

const ServerOnly = z.object({ serverId: ServerId }).strict();
const JobStarted = z.object({ jobId: JobId });
const SnapshotId = z.string().regex(/^[0-9a-f]{8,64}$/, 'not a snapshot id');

export const backupsCalls = {
  'backups.get': call(ServerOnly, BackupOverview),
  /**
   * Saves the target (secret into the keychain; a repository password is made on first use) and
   * prepares the server and the repository (apt, restic init: minutes), as a job.
   */
  'backups.configure': call(
    BackupTargetFields.extend({ serverId: ServerId, secretAccessKey: z.string().min(1).max(512).optional(), schedule: BackupSchedule.optional() }).strict(),
    JobStarted,
  ),
  /** Writes, reads and deletes a probe object. Without a secret, the saved one is used. */
  'backups.testConnection': call(
    BackupTargetFields.extend({ serverId: ServerId, secretAccessKey: z.string().min(1).max(512).optional() }).strict(),
    z.object({ ok: z.literal(true), ms: z.number() }),
  ),
  'backups.snapshots': call(ServerOnly, z.array(Snapshot)),
  'backups.backupNow': call(ServerOnly, JobStarted),
  'backups.verify': call(z.object({ serverId: ServerId, snapshotId: SnapshotId.optional() }).strict(), JobStarted),
  'backups.restorePlan': call(z.object({ serverId: ServerId, snapshotId: SnapshotId }).strict(), RestorePlan),
  /** Safety snapshot, stop, restore, start, checks; rolls back by itself on any failure. */
  'backups.restore': call(z.object({ serverId: ServerId, snapshotId: SnapshotId, confirmName: z.string() }).strict(), JobStarted),
  /**
   * Disaster recovery: the PDS of fromServerId, from its latest snapshot, onto serverId (an empty
   * server connected over SSH) with the same hostname and the same secrets from the keychain, so
   * every DID stays as it is. finalBackup (when the old server still answers): stop its PDS and
   * back it up first, so nothing written until now is lost.
   */
  'backups.recover': call(
    z
      .object({
        serverId: ServerId,
        fromServerId: ServerId,
        finalBackup: z.boolean().default(false),
        ...WebSettings,
      })
      .strict(),
    JobStarted,
  ),
  /** After recovery: where the hostname points, the records to change, and whether every DID resolves here. */
  'backups.moveStatus': call(ServerOnly, MoveStatus),
  /** A tar of the snapshot's data into the Downloads folder of the computer running Hearth. */
  'backups.download': call(z.object({ serverId: ServerId, snapshotId: SnapshotId }).strict(), JobStarted),
};

export const backupsEvents = {
  /** Snapshots or status changed (a backup, restore or verify finished). */
  'backups.changed': z.object({ serverId: ServerId }),
};
