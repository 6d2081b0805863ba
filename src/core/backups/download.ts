/**
 * "Download to this computer": the snapshot is copied with restic into a restic repository in the
 * Downloads folder. It stays encrypted with the same repository password (kept in the keychain),
 * so no secret or key file lands on this computer's disk in the clear, and restic can restore it
 * anywhere, even without Hearth.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { HearthError } from '../../shared/errors.ts';
import type { JobContext } from '../jobs/job-context.ts';
import { LocalRunner } from './host-runner.ts';
import type { BackupHost, BackupService } from './service.ts';

/** The user's Downloads folder; hosts may name another (Electron knows the real one, tests a temp dir). */
export function downloadsDir(chosen?: string): string {
  return chosen ?? join(homedir(), 'Downloads');
}

export async function downloadSnapshot(service: BackupService, host: BackupHost, snapshotId: string, ctx: JobContext, folder = downloadsDir()): Promise<string> {
  const access = await service.resticAccess(host.serverId);
  const dest = join(folder, `hearth-backup-${host.serverId}`);
  await mkdir(folder, { recursive: true });
  const runner = new LocalRunner();
  const env = {
    ...access.env,
    RESTIC_REPOSITORY: dest,
    RESTIC_FROM_REPOSITORY: access.repository,
    RESTIC_FROM_PASSWORD: access.env.RESTIC_PASSWORD ?? '',
  };
  const restic = async (args: string[], what: string) => {
    const res = await runner.run('restic', [...access.options, ...args], { env, ctx });
    if (res.code !== 0) {
      const said = res.stderr.trim().split('\n').filter(Boolean).pop() ?? `restic exited with ${res.code}`;
      throw new HearthError('INTERNAL', `${what}: ${said}`, 'Check that restic is installed on this computer and the backup store is reachable from it.');
    }
  };
  if (!existsSync(join(dest, 'config'))) {
    ctx.progress(0.1, 'Creating the copy on this computer');
    // Same chunker parameters: the copy deduplicates like the original.
    await restic(['init', '--copy-chunker-params'], 'Could not create the copy');
  }
  ctx.progress(0.3, `Copying snapshot ${snapshotId.slice(0, 8)}`);
  await restic(['copy', snapshotId], 'Could not copy the snapshot');
  ctx.progress(1, 'Downloaded');
  return dest;
}
