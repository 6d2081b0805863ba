/**
 * Backups: S3 target + restic on the server (resources/host/hearth-*.sh), driven through a HostRunner.
 *   service.configure(host, target, secret, schedule)  secrets into the keychain, repository created
 *   service.backup(host, ctx) / verify(host, ctx) / snapshots(host) / restorePlan(host, id)
 *   service.restore(host, ctx, id)   safety snapshot, stop, swap, start, checks, rollback on failure
 */
export { BackupService, DEFAULT_SCHEDULE, RESTIC_PASSWORD, S3_SECRET, scriptError, type BackupHost, type PdsControl } from './service.ts';
export { LocalRunner, SshRunner, type HostRunner, type RunOptions, type RunResult } from './host-runner.ts';
export { SERVER_PATHS, sandboxBackupHost, sshBackupHost } from './hosts.ts';
export { probeTarget, s3ClientFor } from './s3-probe.ts';
export { Backups } from './backups.ts';
