/**
 * The hand-over: a droplet the stack created goes to the SSH installer, as one job the wizard
 * follows. Connect (a new droplet takes a minute or two to boot and start sshd, so an unreachable
 * one is tried again; its host key is pinned on first use), preflight (while only DNS is missing
 * the job waits: in manual DNS mode that is the user creating the records), then the install.
 * Every part can be repeated, so running the job again after a cancel or a crash finishes the work.
 */
import type { HandOverStatus, PreflightResult } from '../../shared/contract/index.ts';
import { HearthError } from '../../shared/errors.ts';
import type { InstallRequest } from '../hosts/index.ts';
import { abortError, jobPart, throwIfCancelled, type JobContext } from '../jobs/job-context.ts';
import type { Services } from '../services.ts';

export const SSH_RETRY_MS = 10_000;
export const DNS_RECHECK_MS = 15_000;
/** A droplet boots in a minute or two; ten minutes without SSH is a firewall or a wrong address, not a slow boot. */
const SSH_WAIT_MS = 600_000;

export type HandOverRequest = Omit<InstallRequest, 'hostname'>;

/** What the job reports beside its progress and log (the wizard's records table and checks). */
export type HandOverReport = (change: Partial<Omit<HandOverStatus, 'jobId' | 'serverId'>>) => void;

export async function handOver(services: Services, serverId: string, request: HandOverRequest, ctx: JobContext, report: HandOverReport): Promise<void> {
  const server = services.servers.get(serverId);
  const ssh = server.ssh;
  if (server.kind !== 'digitalocean' || !ssh) throw new HearthError('VALIDATION', `${server.name} is not a DigitalOcean droplet Hearth created.`, '');
  const outputs = await services.cloud.outputs(serverId);
  if (!outputs) throw new HearthError('NOT_FOUND', `The droplet of ${server.name} is not created yet.`, 'Create the server in the wizard first.');

  report({ phase: 'connect' });
  ctx.progress(0.01, 'Connecting to the droplet over SSH');
  const fingerprint = await connectWhenUp(services, serverId, ssh, ctx, report);
  ctx.log(ssh.hostKey ? `The droplet presented its pinned host key ${fingerprint}.` : `Pinned the droplet's host key on this first connection: ${fingerprint}.`);
  report({ hostKeyFingerprint: fingerprint, unreachable: null });

  report({ phase: 'preflight' });
  ctx.progress(0.04, 'Checking the droplet before installing');
  await preflightUntilDns(services, serverId, { hostname: outputs.hostname, ip: outputs.ip, httpsPort: request.httpsPort, httpPort: request.httpPort }, ctx, report);

  report({ phase: 'install' });
  ctx.progress(0.1, 'Installing the PDS');
  // hosts.install's own body, inside this job: its preflight passes now, and every step is idempotent.
  await services.hosts.install(serverId, { ...request, hostname: outputs.hostname }, jobPart(ctx, 0.1, 1));
  report({ phase: 'done' });
  ctx.log(`The PDS is installed on ${server.name}.`);
}

async function connectWhenUp(
  services: Services,
  serverId: string,
  ssh: { host: string; port: number; username: string },
  ctx: JobContext,
  report: HandOverReport,
): Promise<string> {
  const deadline = Date.now() + SSH_WAIT_MS;
  for (let attempt = 1; ; attempt++) {
    throwIfCancelled(ctx.signal);
    try {
      const { hostKeyFingerprint } = await services.hosts.connect({ serverId, host: ssh.host, port: ssh.port, username: ssh.username }, ctx.signal);
      return hostKeyFingerprint;
    } catch (err) {
      throwIfCancelled(ctx.signal);
      // Only "cannot be reached" is a booting droplet; a refused key or a changed host key is not.
      if (!(err instanceof HearthError) || err.code !== 'NETWORK' || Date.now() > deadline) throw err;
      ctx.log(`Attempt ${attempt}: the droplet does not answer over SSH yet (${err.message}) Trying again in ${SSH_RETRY_MS / 1000} s.`, 'warn');
      report({ unreachable: err.message });
      ctx.progress(0.02, `Waiting for the droplet to boot (attempt ${attempt})`);
      await wait(SSH_RETRY_MS, ctx.signal);
    }
  }
}

async function preflightUntilDns(
  services: Services,
  serverId: string,
  target: { hostname: string; ip: string; httpsPort: number; httpPort: number },
  ctx: JobContext,
  report: HandOverReport,
): Promise<void> {
  let lastDetail: string | null = null;
  for (;;) {
    throwIfCancelled(ctx.signal);
    const result = await services.hosts.preflight(serverId, { hostname: target.hostname, httpsPort: target.httpsPort, httpPort: target.httpPort }, ctx.signal);
    report({ preflight: result });
    const failing = result.checks.filter((c) => c.status === 'fail');
    if (result.ok) {
      for (const check of result.checks) if (check.status === 'warn') ctx.log(`WARN ${check.label}: ${check.detail} ${check.fix}`.trim(), 'warn');
      ctx.log('Preflight passed: the droplet is ready for the install.');
      return;
    }
    const blocking = failing.filter((c) => c.id !== 'dns');
    if (blocking.length) throw notReady(blocking);
    // Only DNS is missing: the records are on their way (manual mode) or still propagating.
    report({ phase: 'waiting-dns' });
    ctx.progress(0.06, `Waiting for both names to point at ${target.ip}…`);
    const dns = failing.find((c) => c.id === 'dns')!;
    // A line per change, not per check: hours of waiting for records must not bury the log.
    if (dns.detail !== lastDetail) ctx.log(`Waiting for both names to point at ${target.ip}: ${dns.detail} Checking again every ${DNS_RECHECK_MS / 1000} s.`);
    lastDetail = dns.detail;
    await wait(DNS_RECHECK_MS, ctx.signal);
  }
}

function notReady(blocking: PreflightResult['checks']): HearthError {
  return new HearthError(
    'VALIDATION',
    `The droplet is not ready for the install: ${blocking.map((c) => `${c.label} (${c.detail})`).join('; ')}`,
    `${blocking.map((c) => c.fix).join(' ')} Then run the hand-over again.`,
  );
}

/** Sleeps, but a cancel ends the wait at once (as the cancellation error). */
function wait(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(abortError());
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError());
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * The latest status of each hand-over job since Hearth started, for a window opened mid-way; every
 * change is also pushed as the cloud.handOver event. A job from before a restart has none: its
 * summary and log say how it ended.
 */
export class HandOverStatuses {
  readonly #statuses = new Map<string, { status: HandOverStatus; done: Promise<unknown> | null }>();
  readonly #emit: (status: HandOverStatus) => void;

  constructor(emit: (status: HandOverStatus) => void) {
    this.#emit = emit;
  }

  get(jobId: string): HandOverStatus | null {
    const entry = this.#statuses.get(jobId);
    return entry ? { ...entry.status } : null;
  }

  /** The report function for one job. */
  reporter(jobId: string, serverId: string): HandOverReport {
    const entry = { status: { jobId, serverId, phase: 'connect' as const, hostKeyFingerprint: null, unreachable: null, preflight: null } as HandOverStatus, done: null };
    this.#statuses.set(jobId, entry);
    // A handful of hand-overs per server at most; older ones are only history.
    for (const old of this.#statuses.keys()) if (this.#statuses.size > 20) this.#statuses.delete(old);
    return (change) => {
      Object.assign(entry.status, change);
      this.#emit({ ...entry.status });
    };
  }

  /** Remembers when a job ends, so a destroy can wait for the hand-over it cancels. */
  track(jobId: string, result: Promise<unknown>): void {
    const entry = this.#statuses.get(jobId);
    if (entry) entry.done = result.catch(() => undefined).finally(() => (entry.done = null));
  }

  /**
   * Cancels the server's running hand-over and waits for it to stop: destroying the droplet
   * supersedes installing on it (a user giving up on DNS records destroys from the same page).
   */
  async stop(serverId: string, cancel: (jobId: string) => void): Promise<void> {
    for (const { status, done } of this.#statuses.values()) {
      if (status.serverId !== serverId || !done) continue;
      cancel(status.jobId);
      await done;
    }
  }
}
