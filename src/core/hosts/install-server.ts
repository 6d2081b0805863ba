import type { PdsInstall } from '../../shared/contract/servers.ts';
import { HearthError } from '../../shared/errors.ts';
import type { JobContext } from '../jobs/index.ts';
import type { HostDeps } from './host-deps.ts';
import { installPds, PDS_VERSION, type InstallPlan } from './install.ts';
import { smtpSettings } from './mail.ts';
import { assertWritableSettings } from './pds-env.ts';
import { assertPreflight, runPreflight } from './preflight.ts';

/** What the user chose; the rest of the plan has defaults. */
export type InstallRequest = Pick<InstallPlan, 'hostname' | 'tlsMode' | 'email' | 'httpsPort' | 'httpPort' | 'pdsPort'> &
  Partial<Pick<InstallPlan, 'caddyAdminPort' | 'plcUrl' | 'pdsVersion' | 'smtpUrl' | 'emailFrom'>>;

/**
 * The install job's body: the plan from the user's choices, preflight (nothing is touched when it
 * fails), every install step (install.ts), then the server's CA and its record in the registry.
 */
export async function installServer(deps: HostDeps, serverId: string, request: InstallRequest, ctx: JobContext, options: { moving?: boolean } = {}): Promise<void> {
  // Bad input is refused before anything changes: the SMTP address is kept in the keychain below.
  assertWritableSettings({ hostname: request.hostname, plcUrl: request.plcUrl ?? 'https://plc.directory', crawlers: '', smtpUrl: request.smtpUrl, emailFrom: request.emailFrom, email: request.email });
  const server = deps.servers.get(serverId);
  const ssh = await deps.sessions.session(serverId);
  if (ssh.endpoint.username !== 'root') {
    throw new HearthError('VALIDATION', 'Hearth installs the PDS when connected as root.', 'Connect this server again with the user "root" (add Hearth\'s key to /root/.ssh/authorized_keys).');
  }
  const plan: InstallPlan = {
    serverId,
    hostname: request.hostname,
    tlsMode: request.tlsMode,
    ...(request.email && { email: request.email }),
    httpsPort: request.httpsPort,
    httpPort: request.httpPort,
    pdsPort: request.pdsPort,
    caddyAdminPort: request.caddyAdminPort ?? 2019,
    plcUrl: request.plcUrl ?? 'https://plc.directory',
    // A private PLC means a private network: no public relay would crawl it.
    crawlers: request.plcUrl ? '' : 'https://bsky.network',
    pdsVersion: request.pdsVersion ?? server.install?.pdsVersion ?? PDS_VERSION,
    ...(await smtpSettings(deps, serverId, request)),
    ...(options.moving && { moving: true }),
  };
  assertWritableSettings(plan);
  const result = await installPds(
    ssh,
    plan,
    {
      secrets: deps.secrets,
      resolve: deps.resolve,
      files: deps.files,
      preflight: async () => {
        const checks = await runPreflight(ssh, { hostname: plan.hostname, httpsPort: plan.httpsPort, httpPort: plan.httpPort, resolve: deps.resolve, signal: ctx.signal });
        for (const check of checks.checks) ctx.log(`${check.status === 'pass' ? 'OK' : check.status.toUpperCase()} ${check.label}: ${check.detail}`, check.status === 'fail' ? 'warn' : 'info');
        // Moving a PDS here: its name points at the old server until the very end.
        assertPreflight(options.moving ? { ...checks, checks: checks.checks.filter((c) => c.id !== 'dns') } : checks);
      },
    },
    ctx,
  );
  if (result.caCert) await deps.ca.save(serverId, result.caCert);
  const install: PdsInstall = {
    runtime: 'native',
    hostname: plan.hostname,
    tlsMode: plan.tlsMode,
    pdsVersion: result.healthVersion || plan.pdsVersion,
    httpsPort: plan.httpsPort,
    pdsPort: plan.pdsPort,
    installedAt: server.install?.installedAt ?? new Date().toISOString(),
  };
  const latest = deps.servers.get(serverId);
  await deps.servers.upsert({ ...latest, url: result.url, install, ...(request.plcUrl && { plcUrl: request.plcUrl }) });
}
