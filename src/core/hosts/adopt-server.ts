import type { PdsInstall } from '../../shared/contract/servers.ts';
import { assertAdoptable, detectInstall, type DetectedInstall } from './adopt.ts';
import type { HostDeps } from './host-deps.ts';
import { pdsUrl } from './install.ts';
import { missingDefaults } from './pds-env.ts';
import { resolvePdsSecrets } from './pds-secrets.ts';

/** What runs on the server now (only reads); secrets are named, never returned. */
export async function detectServer(deps: Pick<HostDeps, 'sessions' | 'files'>, serverId: string) {
  const { env, ...found } = await detectInstall(await deps.sessions.session(serverId));
  // Adoption keeps a PDS as it is, so what today's official installer writes and this pds.env
  // lacks (an older install has no rate limits) is shown for the operator to decide, not added.
  const template = await deps.files.read('pds.env.template');
  const missingSettings = env ? missingDefaults(template, [...env].map(([k, v]) => `${k}=${v}`).join('\n')) : [];
  return { ...(found satisfies Omit<DetectedInstall, 'env'>), missingSettings };
}

/**
 * Manages an existing install (the official installer's, or Hearth's own after a reinstall of
 * the desktop) as it is. With the user's consent, its secrets move into the keychain; a
 * keychain entry that disagrees with the server stops the adoption (CONFLICT) untouched.
 */
export async function adoptServer(deps: Pick<HostDeps, 'servers' | 'secrets' | 'sessions'>, serverId: string, importSecrets: boolean): Promise<{ hostname: string; imported: string[] }> {
  const found = await detectInstall(await deps.sessions.session(serverId));
  assertAdoptable(found);
  const imported = importSecrets ? (await resolvePdsSecrets(deps.secrets, serverId, found.env, { generateMissing: false })).imported : [];
  const httpsPort = 443;
  const server = deps.servers.get(serverId);
  const install: PdsInstall = {
    runtime: found.kind === 'native' ? 'native' : 'official',
    hostname: found.hostname,
    tlsMode: 'acme',
    pdsVersion: null,
    httpsPort,
    pdsPort: Number(found.env.get('PDS_PORT') ?? 3000),
    installedAt: server.install?.installedAt ?? new Date().toISOString(),
  };
  const plcUrl = found.env.get('PDS_DID_PLC_URL');
  await deps.servers.upsert({ ...server, url: pdsUrl(found.hostname, httpsPort), install, ...(plcUrl && plcUrl !== 'https://plc.directory' && { plcUrl }) });
  return { hostname: found.hostname, imported };
}
