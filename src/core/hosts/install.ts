import { createHash } from 'node:crypto';
import { HearthError } from '../../shared/errors.ts';
import type { JobContext } from '../jobs/index.ts';
import { throwIfCancelled } from '../jobs/index.ts';
import type { SecretStore } from '../secrets/secret-store.ts';
import { httpsGet } from './https-probe.ts';
import { parseEnvFile, resolvePdsSecrets } from './pds-secrets.ts';
import type { ResolveAddresses } from './resolve.ts';
import type { SshSession } from './ssh/index.ts';
import { assertCaddySettings, pdsEnvValue, pdsEnvValues, smtpUrlForEnv } from './pds-env.ts';
import { shellQuote } from './ssh/shell-quote.ts';
import { renderTemplate, type HostFiles } from './templates.ts';

/** The @atproto/pds version a new install gets (pinned: upgrades are a deliberate step). */
export const PDS_VERSION = '0.5.35';

/** What a PDS version looks like (semver, as npm publishes @atproto/pds). */
export const PDS_VERSION_PATTERN = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;

export interface InstallPlan {
  serverId: string;
  hostname: string;
  tlsMode: 'acme' | 'internal';
  email?: string;
  httpsPort: number;
  httpPort: number;
  pdsPort: number;
  caddyAdminPort: number;
  plcUrl: string;
  /** Relays to ask to crawl this PDS (comma-separated); empty on a private network. */
  crawlers: string;
  pdsVersion: string;
  smtpUrl?: string;
  emailFrom?: string;
  /**
   * The hostname still points at another server (disaster recovery, a replacement): DNS is not a
   * reason to stop, and HTTPS is checked once the name has moved (a public certificate cannot be
   * issued before).
   */
  moving?: boolean;
}

export interface InstallResult {
  /** The PEM of Caddy's internal CA (internal TLS mode): trusted for this server only. */
  caCert: string | null;
  url: string;
  healthVersion: string;
}

export const INSTALLER = '/opt/hearth/share/pds-install.sh';
const CADDY_CA_PATHS = ['/var/lib/caddy/.local/share/caddy/pki/authorities/local/root.crt', '/root/.local/share/caddy/pki/authorities/local/root.crt'];

/** The PDS's public URL: the hostname, with the port when it is not 443. */
export const pdsUrl = (hostname: string, httpsPort: number): string => `https://${hostname}${httpsPort === 443 ? '' : `:${httpsPort}`}`;

interface Step {
  title: string;
  run: () => Promise<void>;
}

/**
 * Installs (or finishes installing, or confirms) a native PDS behind Caddy. Every step looks at
 * what is there and does only what is missing, so running it again after a cancel or a dropped
 * connection completes the work, and running it on a finished server changes nothing.
 */
export async function installPds(
  ssh: SshSession,
  plan: InstallPlan,
  deps: { secrets: SecretStore; resolve: ResolveAddresses; files: HostFiles; preflight?: () => Promise<void> },
  ctx: JobContext,
): Promise<InstallResult> {
  // The version can come from the config file (a re-run, disaster recovery), not only the contract:
  // it is checked here, and every installer argument is quoted as one word besides.
  if (!PDS_VERSION_PATTERN.test(plan.pdsVersion)) throw new HearthError('VALIDATION', 'The PDS version to install is not a version number.', 'Pick a version like 0.5.35.');
  const installer = (args: string[], what: string) => ssh.run(['bash', INSTALLER, ...args].map(shellQuote).join(' '), { ctx, what });
  let configChanged = false;
  let caCert: string | null = null;
  let healthVersion = '';
  const url = pdsUrl(plan.hostname, plan.httpsPort);

  const steps: Step[] = [
    ...(deps.preflight ? [{ title: 'Check the server', run: deps.preflight }] : []),
    {
      title: "Upload Hearth's installer",
      run: async () => {
        await ssh.run('mkdir -p /opt/hearth/share', { ctx, what: 'Creating /opt/hearth' });
        await writeIfChanged(ssh, INSTALLER, await deps.files.read('pds-install.sh'), 0o755);
        await writeIfChanged(ssh, '/opt/hearth/share/pds-entry.mjs', await deps.files.read('pds-entry.mjs'), 0o644);
      },
    },
    { title: 'Install system packages (Caddy, SQLite, build tools)', run: () => installer(['packages'], 'Installing system packages').then(() => {}) },
    { title: 'Install Node 22', run: () => installer(['runtime'], 'Installing Node 22').then(() => {}) },
    { title: `Install the PDS ${plan.pdsVersion}`, run: () => installer(['app', plan.pdsVersion], `Installing the PDS ${plan.pdsVersion}`).then(() => {}) },
    { title: 'Prepare the data directory /pds', run: () => installer(['layout'], 'Preparing /pds').then(() => {}) },
    {
      title: 'Write the settings (pds.env, service, Caddy)',
      run: async () => {
        const existing = await ssh.readFile('/pds/pds.env', { signal: ctx.signal });
        const { secrets, created, imported } = await resolvePdsSecrets(deps.secrets, plan.serverId, existing ? parseEnvFile(existing.toString('utf8')) : null);
        if (created.length) ctx.log(`Generated new secrets on this computer and saved them in the keychain: ${created.join(', ')}.`);
        if (imported.length) ctx.log(`Kept the secrets already on the server and saved them in the keychain: ${imported.join(', ')}.`);
        // Every value is checked to stay one value for systemd, docker compose and a shell alike.
        const extra = [
          ...(plan.smtpUrl ? [`PDS_EMAIL_SMTP_URL=${smtpUrlForEnv(plan.smtpUrl)}`] : []),
          ...(plan.emailFrom ? [`PDS_EMAIL_FROM_ADDRESS=${pdsEnvValue('PDS_EMAIL_FROM_ADDRESS', plan.emailFrom)}`] : []),
        ];
        const envText = renderTemplate(await deps.files.read('pds.env.template'), {
          ...pdsEnvValues({
            PDS_HOSTNAME: plan.hostname,
            PDS_PORT: String(plan.pdsPort),
            PDS_JWT_SECRET: secrets['jwt-secret'],
            PDS_ADMIN_PASSWORD: secrets['admin-password'],
            PDS_PLC_ROTATION_KEY_K256_PRIVATE_KEY_HEX: secrets['plc-rotation-key'],
            PDS_DID_PLC_URL: plan.plcUrl,
            PDS_CRAWLERS: plan.crawlers,
          }),
          EXTRA: extra.join('\n'),
        });
        // Secrets go to the server in this one file only, created with mode 600 from the start.
        const envChanged = await writeIfChanged(ssh, '/pds/pds.env', envText, 0o600);
        await ssh.run('chown root:root /pds/pds.env && chmod 600 /pds/pds.env', { ctx, what: 'Protecting pds.env' });
        const unitChanged = await writeIfChanged(ssh, '/etc/systemd/system/pds.service', await deps.files.read('pds.service'), 0o644);
        const caddyChanged = await writeIfChanged(ssh, '/etc/caddy/Caddyfile', renderCaddyfile(await deps.files.read('Caddyfile.template'), plan), 0o644);
        configChanged = envChanged || unitChanged || caddyChanged;
        ctx.log(configChanged ? 'Settings written.' : 'Settings already up to date.');
      },
    },
    {
      title: `Activate the PDS ${plan.pdsVersion}`,
      run: async () => {
        const before = (await ssh.exec('readlink /opt/hearth/pds', { quiet: true })).stdout.trim();
        await installer(['activate', plan.pdsVersion], 'Activating the PDS');
        if (before !== `pds-${plan.pdsVersion}`) configChanged = true;
      },
    },
    { title: 'Start the PDS and Caddy', run: () => installer(configChanged ? ['services', 'restart'] : ['services'], 'Starting the services').then(() => {}) },
    { title: 'Wait for the PDS to answer', run: () => installer(['wait-health', String(plan.pdsPort)], 'Waiting for the PDS').then(() => {}) },
    {
      title: `Check HTTPS at ${url}`,
      run: async () => {
        if (plan.tlsMode === 'internal') caCert = await fetchCaddyCa(ssh, ctx);
        if (plan.moving) {
          ctx.log(`${plan.hostname} still points at the old server: HTTPS is checked after you move it here.`);
          return;
        }
        healthVersion = await waitForHttps(url, { resolve: deps.resolve, ...(caCert && { ca: caCert }) }, ctx);
        ctx.log(`${url}/xrpc/_health answers: version ${healthVersion}.`);
      },
    },
  ];

  const total = steps.length;
  const jobStarted = performance.now();
  for (const [index, step] of steps.entries()) {
    throwIfCancelled(ctx.signal);
    ctx.progress(index / total, step.title);
    ctx.log(`Step ${index + 1}/${total}: ${step.title}`);
    const started = performance.now();
    await step.run();
    ctx.log(`Step ${index + 1}/${total} done in ${seconds(started)}: ${step.title}`);
  }
  ctx.progress(1, 'Installed');
  ctx.log(`Install finished in ${seconds(jobStarted)}.`);
  return { caCert, url, healthVersion };
}

export function renderCaddyfile(template: string, plan: Pick<InstallPlan, 'serverId' | 'hostname' | 'tlsMode' | 'email' | 'httpsPort' | 'httpPort' | 'pdsPort' | 'caddyAdminPort'>): string {
  const global = [
    ...(plan.tlsMode === 'acme' && plan.email ? [`email ${plan.email}`] : []),
    ...(plan.httpPort !== 80 ? [`http_port ${plan.httpPort}`] : []),
    ...(plan.httpsPort !== 443 ? [`https_port ${plan.httpsPort}`] : []),
    ...(plan.caddyAdminPort !== 2019 ? [`admin localhost:${plan.caddyAdminPort}`] : []),
    // Caddy runs as its own user: it cannot (and must not) add its CA to the system's trust store.
    ...(plan.tlsMode === 'internal' ? ['skip_install_trust'] : []),
  ];
  assertCaddySettings(plan);
  return renderTemplate(template, {
    GLOBAL_OPTIONS: global.map((line) => `\t${line}`).join('\n'),
    PDS_HOSTNAME: plan.hostname,
    PDS_PORT: String(plan.pdsPort),
    TLS_ISSUER: plan.tlsMode === 'internal' ? 'internal ' : '',
    SERVER_MARKER: serverMarker(plan.serverId),
  });
}

/**
 * What https://<hostname>/.well-known/hearth-server answers on this server: derived from its id,
 * so Hearth can tell which of its servers a name reaches without publishing the id itself.
 */
export function serverMarker(serverId: string): string {
  return createHash('sha256').update(`hearth-server:${serverId}`).digest('hex').slice(0, 32);
}

/** Writes a file only when its content differs; says whether it did. */
export async function writeIfChanged(ssh: SshSession, path: string, content: string, mode: number): Promise<boolean> {
  const current = await ssh.readFile(path);
  if (current?.toString('utf8') === content) {
    await ssh.exec(`chmod ${mode.toString(8)} ${shellQuote(path)}`, { quiet: true });
    return false;
  }
  await ssh.writeFile(path, content, { mode });
  return true;
}

async function fetchCaddyCa(ssh: SshSession, ctx: JobContext): Promise<string> {
  for (let attempt = 0; attempt < 60; attempt++) {
    for (const path of CADDY_CA_PATHS) {
      const pem = await ssh.readFile(path, { signal: ctx.signal });
      if (pem?.toString('utf8').includes('BEGIN CERTIFICATE')) {
        ctx.log(`Fetched Caddy's internal CA from ${path}; Hearth trusts it for this server only.`);
        return pem.toString('utf8');
      }
    }
    await sleep(1_000, ctx.signal);
  }
  throw new HearthError('UNAVAILABLE', "Caddy did not create its internal certificate authority.", 'Check that Caddy runs on the server (systemctl status caddy).');
}

export async function waitForHttps(url: string, options: { resolve: ResolveAddresses; ca?: string }, ctx: JobContext, attempts = 60): Promise<string> {
  let last = '';
  for (let attempt = 0; attempt < attempts; attempt++) {
    throwIfCancelled(ctx.signal);
    try {
      const res = await httpsGet(`${url}/xrpc/_health`, { ...options, signal: ctx.signal, timeoutMs: 10_000 });
      const version = (JSON.parse(res.body) as { version?: unknown }).version;
      if (res.status === 200 && typeof version === 'string') return version;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await sleep(1_000, ctx.signal);
  }
  throw new HearthError(
    'UNAVAILABLE',
    `The PDS runs, but ${url} does not answer over HTTPS (${last}).`,
    'Check that the hostname points at this server and that ports 80 and 443 are open in its firewall; certificates need both.',
  );
}

function seconds(started: number): string {
  return `${((performance.now() - started) / 1000).toFixed(1)} s`;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });
}
