import type { BackupTargetFields } from '../../shared/contract/backups.ts';
import { shellSettingsFile } from '../hosts/ssh/shell-quote.ts';
import type { BackupHost } from './backup-host.ts';
import type { BackupSecretEnv } from './backup-secrets.ts';
import type { StoredServer } from './store.ts';

/** restic's address of the repository in an S3 store. */
export function repositoryUrl(target: BackupTargetFields): string {
  const prefix = target.prefix.replace(/^\/+|\/+$/g, '');
  return `s3:${target.endpoint.replace(/\/+$/, '')}/${target.bucket}${prefix ? `/${prefix}` : ''}`;
}

/** restic's options for this computer (for "Download to this computer"). */
export function resticOptions(target: BackupTargetFields): string[] {
  return [...(target.pathStyle ? ['-o', 's3.bucket-lookup=path'] : []), ...(target.region ? ['-o', `s3.region=${target.region}`] : [])];
}

/**
 * The text of the scripts' settings file (a shell file of quoted KEY=value lines). The secrets go
 * in only when given: on remote servers, where the scripts run from a timer without Hearth.
 */
export function renderSettings(host: BackupHost, { target, schedule }: StoredServer, secrets?: BackupSecretEnv): string {
  const values: Record<string, string> = {
    PDS_DATA_DIR: host.pdsDataDir,
    PDS_BLOBS_DIR: host.pdsBlobsDir,
    PDS_ENV_FILE: host.pdsEnvFile,
    RESTIC_REPOSITORY: repositoryUrl(target),
    AWS_ACCESS_KEY_ID: target.accessKeyId,
    HEARTH_S3_PATH_STYLE: target.pathStyle ? '1' : '0',
    HEARTH_S3_REGION: target.region,
    HEARTH_STATE_DIR: host.stateDir,
    HEARTH_KEEP_DAILY: String(schedule.keepDaily),
    HEARTH_KEEP_WEEKLY: String(schedule.keepWeekly),
    HEARTH_KEEP_MONTHLY: String(schedule.keepMonthly),
  };
  if (secrets) Object.assign(values, secrets);
  return shellSettingsFile(`Written by Hearth. Backup settings for ${host.name}.`, values);
}
