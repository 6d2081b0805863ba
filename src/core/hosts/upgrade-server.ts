import { HearthError } from '../../shared/errors.ts';
import type { JobContext } from '../jobs/index.ts';
import type { HostDeps } from './host-deps.ts';
import { installedVersion, latestVersion, upgradePds } from './upgrade.ts';

/** The PDS version on the server (null when none answers) and the newest published one. */
export async function pdsVersions(deps: Pick<HostDeps, 'sessions'>, serverId: string): Promise<{ installed: string | null; latest: string }> {
  const [installed, latest] = await Promise.all([deps.sessions.session(serverId).then(installedVersion), latestVersion()]);
  return { installed, latest };
}

/** The upgrade job's body: upgrade.ts does the work on the server; the new version goes into the registry. */
export async function upgradeServer(deps: HostDeps, serverId: string, version: string, ctx: JobContext): Promise<void> {
  const server = deps.servers.get(serverId);
  if (!server.install || server.install.runtime !== 'native') {
    throw new HearthError('VALIDATION', `Hearth did not install the PDS on ${server.name}.`, 'Servers set up with the official installer upgrade through it (its watchtower container).');
  }
  const result = await upgradePds(
    await deps.sessions.session(serverId),
    { target: version, pdsPort: server.install.pdsPort, url: server.url, resolve: deps.resolve, ca: await deps.ca.read(serverId), files: deps.files },
    ctx,
  );
  const latest = deps.servers.get(serverId);
  if (latest.install) await deps.servers.upsert({ ...latest, install: { ...latest.install, pdsVersion: result.to } });
}
