import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { CloudPlanView, ResourceRow } from '../../shared/contract/cloud.ts';
import { HearthError } from '../../shared/errors.ts';
import { abortError, type JobContext } from '../jobs/job-context.ts';
import { DO_TOKEN_SECRET, PULUMI_PASSPHRASE_SECRET, SPACES_ADMIN_KEY_ID_SECRET, SPACES_ADMIN_SECRET, SPACES_SECRET_KEY_SECRET } from '../secrets/names.ts';
import { secretAccount, type SecretStore } from '../secrets/index.ts';
import { cliInstallError, type AutomationApi, type OperationOptions, type StackHandle } from './automation.ts';
import { EngineEventMapper, isUserResource, kindOf, kindRank, lowerKind, nameOfUrn } from './engine-events.ts';
import { cloudProgram, type CloudPlan } from './program.ts';
import { clearStaleLocks } from './stale-locks.ts';

/** Pinned: the CLI matching the installed @pulumi/pulumi SDK, the plugin matching @pulumi/digitalocean. */
export const PULUMI_CLI_VERSION = '3.270.0';
export const DO_PLUGIN_VERSION = '4.80.1';
export const PROJECT_NAME = 'hearth';

/** Spaces is a flat subscription (250 GiB included); a reserved IP is free while assigned. */
export const SPACES_MONTHLY_USD = 5;

/** Keychain entries of one DigitalOcean server (account `<serverId>/<name>`). */
export const cloudSecret = {
  token: (serverId: string) => secretAccount(serverId, DO_TOKEN_SECRET),
  passphrase: (serverId: string) => secretAccount(serverId, PULUMI_PASSPHRASE_SECRET),
  spacesAdminId: (serverId: string) => secretAccount(serverId, SPACES_ADMIN_KEY_ID_SECRET),
  spacesAdminSecret: (serverId: string) => secretAccount(serverId, SPACES_ADMIN_SECRET),
  spacesSecret: (serverId: string) => secretAccount(serverId, SPACES_SECRET_KEY_SECRET),
};

export interface StackOutputs {
  ip: string;
  hostname: string;
  dropletId: string;
  bucketName: string;
  bucketRegion: string;
  bucketEndpoint: string;
  spacesKeyId: string;
  /** The standby droplet's own address, while there is one (see CloudPlan.standbyGeneration). */
  standbyIp?: string;
}

export interface StackRunnerOptions {
  dataDir: string;
  secrets: SecretStore;
  automation: AutomationApi;
  /** Resource rows of a running operation, for the job's view. */
  onRows?: (jobId: string, rows: ResourceRow[]) => void;
  /** True for the simulated engine (test mode): plans say so. */
  simulated?: boolean;
}

/**
 * Runs one Pulumi stack per DigitalOcean server through the Automation API: state in a local file
 * backend inside Hearth's data folder, secrets encrypted with a per-server passphrase that lives
 * in the keychain and reaches the engine only as an environment variable.
 */
export class StackRunner {
  readonly #o: StackRunnerOptions;
  readonly #rows = new Map<string, ResourceRow[]>();

  constructor(options: StackRunnerOptions) {
    this.#o = options;
  }

  get pulumiDir(): string {
    return join(this.#o.dataDir, 'pulumi');
  }

  paths(serverId: string) {
    const base = this.pulumiDir;
    return {
      cliRoot: join(base, 'cli', PULUMI_CLI_VERSION),
      home: join(base, 'home'),
      backendUrl: `file://${join(base, 'state')}`,
      stateDir: join(base, 'state'),
      workDir: join(base, 'work', serverId),
    };
  }

  rows(jobId: string): ResourceRow[] {
    return this.#rows.get(jobId) ?? [];
  }

  /** Shows what would change, as a readable plan with the monthly cost. Creates nothing. */
  async preview(ctx: JobContext, plan: CloudPlan, sizePriceMonthly: number, serverId: string): Promise<CloudPlanView> {
    const stack = await this.#open(ctx, serverId, plan);
    const pending = await this.#pending(ctx, stack);
    ctx.progress(0.45, 'Previewing the changes');
    const mapper = this.#mapper(ctx, 0, 0.45, 0.5);
    await this.#run(ctx, () => stack.preview(this.#op(ctx, mapper)), mapper);
    const resources = mapper
      .rows()
      .filter((r) => isUserResource(r.type))
      .sort((a, b) => kindRank(a.type) - kindRank(b.type) || a.name.localeCompare(b.name))
      .map((r) => ({ urn: r.urn, type: r.type, name: r.name, kind: r.kind, op: r.op }));
    const lines = [
      { label: `Droplet ${plan.size} in ${plan.region}`, usdMonthly: sizePriceMonthly },
      { label: 'Spaces storage for backups (250 GiB included)', usdMonthly: SPACES_MONTHLY_USD },
      { label: 'Reserved IP (free while assigned to the droplet)', usdMonthly: 0 },
    ];
    ctx.log(`Plan: ${resources.filter((r) => r.op !== 'same').length} change(s), about $${total(lines)} a month.`);
    return {
      serverId,
      resources,
      monthlyCost: { totalUsd: total(lines), lines },
      pendingOperations: pending,
      simulated: this.#o.simulated ?? false,
      createdAt: new Date().toISOString(),
    };
  }

  /**
   * Creates or updates everything, one progress row per resource. After an interrupted run the
   * state is refreshed first (pending creates cleared, and said so), then the apply runs again.
   */
  async apply(ctx: JobContext, plan: CloudPlan, serverId: string, reviewed: CloudPlanView): Promise<StackOutputs> {
    const stack = await this.#open(ctx, serverId, plan);
    const pending = await this.#pending(ctx, stack);
    if (pending.length) {
      ctx.log('Refreshing from DigitalOcean before applying, so the interrupted run is reconciled.', 'warn');
      await this.#run(ctx, () => stack.refresh({ ...this.#op(ctx, this.#mapper(ctx, 0, 0.4, 0.45)), clearPendingCreates: true }));
    }
    ctx.progress(0.45, 'Creating the resources');
    // Every resource of the reviewed plan has its row from the start; the engine fills them in.
    const initial: ResourceRow[] = reviewed.resources.map((r) => ({ ...r, state: 'pending' }));
    const mapper = this.#mapper(ctx, reviewed.resources.filter((r) => r.op !== 'same').length, 0.45, 0.95, initial);
    const result = await this.#run(ctx, () => stack.up(this.#op(ctx, mapper)), mapper);
    const value = (key: string): string => {
      const v = result.outputs[key]?.value;
      if (v === undefined || v === null) throw new HearthError('INTERNAL', `The stack finished without its ${key} output.`, 'Run Refresh, then apply again.');
      return String(v);
    };
    // The server's Spaces secret goes straight into the keychain; the state keeps it encrypted.
    const spacesSecret = result.outputs.spacesSecretKey?.value;
    if (typeof spacesSecret === 'string' && spacesSecret) await this.#o.secrets.set(cloudSecret.spacesSecret(serverId), spacesSecret);
    ctx.progress(0.97, 'Created');
    return {
      ip: value('ip'),
      hostname: value('hostname'),
      dropletId: value('dropletId'),
      bucketName: value('bucketName'),
      bucketRegion: value('bucketRegion'),
      bucketEndpoint: value('bucketEndpoint'),
      spacesKeyId: value('spacesKeyId'),
      ...(typeof result.outputs.standbyIp?.value === 'string' && { standbyIp: result.outputs.standbyIp.value }),
    };
  }

  /** Reads the real state and says in plain words what changed outside Hearth. */
  async refresh(ctx: JobContext, plan: CloudPlan, serverId: string): Promise<string[]> {
    const stack = await this.#open(ctx, serverId, plan);
    await this.#pending(ctx, stack);
    const drift: string[] = [];
    const mapper = this.#mapper(ctx, 0, 0.45, 0.95);
    await this.#run(ctx, () =>
      stack.refresh({
        ...this.#op(ctx, mapper),
        onEvent: (event) => {
          mapper.handle(event);
          const meta = event.resOutputsEvent?.metadata;
          if (!meta || !isUserResource(meta.type)) return;
          const what = `${kindOf(meta.type)} ${nameOfUrn(meta.urn)}`;
          if (meta.op === 'delete' || (meta.old && !meta.new)) drift.push(`${what} no longer exists on DigitalOcean (deleted outside Hearth).`);
          else if (meta.diffs?.length) drift.push(`${what} was changed outside Hearth: ${meta.diffs.join(', ')}.`);
          else if (meta.op === 'update') drift.push(`${what} was changed outside Hearth.`);
        },
      }),
    );
    if (!drift.length) drift.push('Everything matches what Hearth created: nothing was changed outside Hearth.');
    for (const line of drift) ctx.log(line, line.startsWith('Everything') ? 'info' : 'warn');
    return drift;
  }

  async destroy(ctx: JobContext, plan: CloudPlan, serverId: string): Promise<void> {
    const stack = await this.#open(ctx, serverId, plan);
    await this.#pending(ctx, stack);
    ctx.progress(0.45, 'Deleting the resources');
    await this.#run(ctx, () => stack.destroy(this.#op(ctx, this.#mapper(ctx, 0, 0.45, 0.95))));
    await this.#o.secrets.delete(cloudSecret.spacesSecret(serverId));
  }

  async #open(ctx: JobContext, serverId: string, plan: CloudPlan): Promise<StackHandle> {
    const p = this.paths(serverId);
    await mkdir(p.stateDir, { recursive: true, mode: 0o700 });
    await mkdir(p.workDir, { recursive: true, mode: 0o700 });
    await mkdir(p.home, { recursive: true, mode: 0o700 });
    const token = await this.#o.secrets.get(cloudSecret.token(serverId));
    if (!token) throw new HearthError('AUTH', 'Hearth has no DigitalOcean token for this server.', 'Go back to the first step of the wizard and paste your token.');

    ctx.progress(0.02, 'Checking the Pulumi engine');
    try {
      await this.#o.automation.ensureCli({
        root: p.cliRoot,
        version: PULUMI_CLI_VERSION,
        signal: ctx.signal,
        onProgress: (fraction, message) => ctx.progress(0.02 + 0.3 * fraction, message),
      });
    } catch (err) {
      if (err instanceof HearthError || ctx.signal.aborted) throw err;
      throw cliInstallError(err, PULUMI_CLI_VERSION, p.cliRoot);
    }
    ctx.log(`Pulumi engine ${PULUMI_CLI_VERSION} ready.`);
    throwIfAborted(ctx);
    if ((await clearStaleLocks(p.stateDir, serverId)).length) {
      ctx.log('Removed the lock an interrupted run left on this server’s stack (its process is gone).', 'warn');
    }

    const stack = await this.#o.automation.openStack({
      cliRoot: p.cliRoot,
      projectName: PROJECT_NAME,
      stackName: serverId,
      program: cloudProgram(plan),
      workDir: p.workDir,
      pulumiHome: p.home,
      backendUrl: p.backendUrl,
      envVars: { PULUMI_CONFIG_PASSPHRASE: await this.#passphrase(serverId) },
    });
    ctx.progress(0.35, 'Installing the DigitalOcean plugin');
    await stack.installPlugin('digitalocean', `v${DO_PLUGIN_VERSION}`);
    throwIfAborted(ctx);
    ctx.progress(0.4, 'Setting the stack’s secrets');
    await stack.setConfig('digitalocean:token', token, true);
    const adminId = await this.#o.secrets.get(cloudSecret.spacesAdminId(serverId));
    const adminSecret = await this.#o.secrets.get(cloudSecret.spacesAdminSecret(serverId));
    if (adminId && adminSecret) {
      await stack.setConfig('digitalocean:spacesAccessId', adminId, true);
      await stack.setConfig('digitalocean:spacesSecretKey', adminSecret, true);
    }
    return stack;
  }

  /** Pending operations left by an interrupted run, surfaced in the log and the plan. */
  async #pending(ctx: JobContext, stack: StackHandle): Promise<string[]> {
    const pending = (await stack.pendingOperations()).map(
      (op) => `An earlier run was interrupted while ${op.type === 'creating' ? 'creating' : op.type} ${lowerKind(op.resourceType)} ${nameOfUrn(op.urn)}. If it exists in your DigitalOcean control panel but not in Hearth, Refresh reconciles it.`,
    );
    for (const line of pending) ctx.log(line, 'warn');
    return pending;
  }

  async #passphrase(serverId: string): Promise<string> {
    const account = cloudSecret.passphrase(serverId);
    const existing = await this.#o.secrets.get(account);
    if (existing) return existing;
    const created = randomBytes(32).toString('base64url');
    await this.#o.secrets.set(account, created);
    return created;
  }

  #mapper(ctx: JobContext, expected: number, from: number, to: number, initial: ResourceRow[] = []): EngineEventMapper {
    return new EngineEventMapper(
      {
        progress: (fraction, step) => ctx.progress(from + (to - from) * fraction, step),
        log: (message, level) => ctx.log(message, level),
        rows: (rows) => {
          this.#rows.set(ctx.id, rows);
          this.#o.onRows?.(ctx.id, rows);
        },
      },
      expected,
      initial,
    );
  }

  #op(ctx: JobContext, mapper: EngineEventMapper): OperationOptions {
    return { signal: ctx.signal, onEvent: (event) => mapper.handle(event) };
  }

  /** Runs one engine operation; a cancel is delivered to the engine as an interrupt (it stops cleanly). */
  async #run<T>(ctx: JobContext, op: () => Promise<T>, mapper?: EngineEventMapper): Promise<T> {
    const onAbort = () => ctx.log('Cancel requested: asking the Pulumi engine to stop cleanly after the current step.', 'warn');
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    try {
      return await op();
    } catch (err) {
      if (ctx.signal.aborted) {
        ctx.log('The engine stopped. Anything half-created is recorded as pending: Refresh, then apply again to finish.', 'warn');
        throw abortError();
      }
      if (err instanceof HearthError) throw err;
      throw engineError(err, mapper?.failures ?? []);
    } finally {
      ctx.signal.removeEventListener('abort', onAbort);
    }
  }
}

function throwIfAborted(ctx: JobContext): void {
  if (ctx.signal.aborted) throw abortError();
}

const total = (lines: { usdMonthly: number }[]) => Math.round(lines.reduce((sum, l) => sum + l.usdMonthly, 0) * 100) / 100;

/** Pulumi's own errors carry long engine output: keep the part a person can act on. */
export function engineError(err: unknown, diagnostics: string[] = []): HearthError {
  const text = err instanceof Error ? err.message : String(err);
  if (/locked by/i.test(text)) {
    return new HearthError('CONFLICT', 'Another Hearth operation is still working on this server.', 'Wait for it to finish (see Jobs), then try again.');
  }
  // DigitalOcean's own refusal of a token, as godo (inside the provider) words it:
  // `GET https://api.digitalocean.com/v2/account: 401 (request "…") Unable to authenticate you`.
  // A bare "401" is not enough: request ids, droplet ids and sizes are full of digits.
  if ([text, ...diagnostics].some((t) => /Unable to authenticate you|api\.digitalocean\.com\/\S*: 401\b/i.test(t))) {
    return new HearthError('AUTH', 'DigitalOcean did not accept the token during the operation.', 'Paste a valid token in the wizard’s first step, then try again.');
  }
  // The provider's own diagnostic says what went wrong; the CLI's summary line is the fallback.
  const errorLine =
    diagnostics.find((d) => !/^update failed$/i.test(d)) ??
    text
      .split('\n')
      .map((l) => l.trim())
      .find((l) => /^error:/i.test(l));
  return new HearthError(
    'INTERNAL',
    `The Pulumi engine reported an error${errorLine ? `: ${errorLine.replace(/^error:\s*/i, '').slice(0, 300)}` : '.'}`,
    'The job log has the details. Run Refresh, then try again.',
  );
}

