import * as pulumi from '@pulumi/pulumi';
import type { EngineEvent, OpType } from '@pulumi/pulumi/automation/index.js';
import { abortError } from '../../src/core/jobs/job-context.ts';
import type { AutomationApi, OperationOptions, StackHandle } from '../../src/core/cloud/automation.ts';

export interface SimulatedCall {
  method: string;
  args: Record<string, unknown>;
}

interface SimulatedResource {
  urn: string;
  type: string;
  inputs: Record<string, unknown>;
}

/**
 * A stand-in for the Pulumi engine, for tests and for browser mode under HEARTH_FAKE_PULUMI=1
 * (test only): the Pulumi CLI cannot be downloaded and DigitalOcean cannot be reached from the
 * test machines. It runs the real inline program under pulumi.runtime.setMocks to learn which
 * resources it declares, then answers preview/up/refresh/destroy with the engine events the
 * CLI's `--event-log` documents (prelude, resourcePre, resOutputs, resOpFailed, diagnostic,
 * summary, cancel). It records every call so tests can check how the runner drives the API.
 */
export class SimulatedAutomation implements AutomationApi {
  readonly calls: SimulatedCall[] = [];
  /** Milliseconds between two resources in up/destroy, so progress and cancel can be watched. */
  stepDelayMs: number;
  /** Makes ensureCli fail like an offline install would (tests of the error path). */
  cliError: Error | null = null;
  /** A resource type whose create fails during up, with this diagnostic. */
  failType: { type: string; message: string } | null = null;
  /** Pending operations the state reports (an interrupted earlier run). */
  pending: { type: string; urn: string; resourceType: string }[] = [];
  /** Resources that exist, per stack. */
  readonly deployed = new Map<string, SimulatedResource[]>();
  /** Drift a refresh reports: urn suffix → changed keys (empty: deleted outside). */
  drift = new Map<string, string[]>();
  #sequence = 0;

  /** The droplet's reserved IP in the outputs. Tests set a test server's loopback address (see CloudServiceOptions.dropletSshPort). */
  address: string;

  constructor(options: { stepDelayMs?: number; address?: string } = {}) {
    this.stepDelayMs = options.stepDelayMs ?? 0;
    this.address = options.address ?? '198.51.100.23';
  }

  async ensureCli(options: Parameters<AutomationApi['ensureCli']>[0]): Promise<{ command: string }> {
    this.calls.push({ method: 'ensureCli', args: { root: options.root, version: options.version } });
    if (this.cliError) throw this.cliError;
    options.onProgress(1, 'Pulumi engine (simulated) ready');
    return { command: 'simulated-pulumi' };
  }

  async openStack(options: Parameters<AutomationApi['openStack']>[0]): Promise<StackHandle> {
    const { program, ...rest } = options;
    this.calls.push({ method: 'openStack', args: { ...rest, envVarNames: Object.keys(options.envVars) } });
    const record = (method: string, args: Record<string, unknown> = {}): void => void this.calls.push({ method, args: { stackName: options.stackName, ...args } });
    const stackName = options.stackName;
    const declared = () => declaredResources(program, options.projectName, stackName);
    return {
      installPlugin: async (name, version) => record('installPlugin', { name, version }),
      setConfig: async (key, value, secret) => record('setConfig', { key, value, secret }),
      pendingOperations: async () => {
        record('pendingOperations');
        return this.pending;
      },
      preview: async (op) => {
        record('preview');
        const existing = new Set((this.deployed.get(stackName) ?? []).map((r) => r.urn));
        const steps = (await declared()).resources.map((r) => ({ ...r, op: (existing.has(r.urn) ? 'same' : 'create') as OpType }));
        return { changeSummary: await this.#run(op, steps, true) };
      },
      up: async (op) => {
        record('up');
        const before = this.deployed.get(stackName) ?? [];
        const existing = new Set(before.map((r) => r.urn));
        const { resources, hostname } = await declared();
        const declaredUrns = new Set(resources.map((r) => r.urn));
        // What the program no longer declares is deleted, as the engine does.
        const gone = before.filter((r) => !declaredUrns.has(r.urn));
        let done: SimulatedResource[] = [...before];
        await this.#run(
          op,
          [...resources.map((r) => ({ ...r, op: (existing.has(r.urn) ? 'same' : 'create') as OpType })), ...gone.map((r) => ({ ...r, op: 'delete' as OpType }))],
          false,
          (r) => {
            done = gone.some((g) => g.urn === r.urn) ? done.filter((d) => d.urn !== r.urn) : done.some((d) => d.urn === r.urn) ? done : [...done, r];
            this.deployed.set(stackName, done);
          },
        );
        const droplets = resources.filter((r) => r.type.endsWith(':Droplet'));
        this.pending = [];
        return {
          outputs: {
            ip: { value: this.address, secret: false },
            hostname: { value: hostname, secret: false },
            dropletId: { value: '4242', secret: false },
            bucketName: { value: String(resources.find((r) => r.type.endsWith(':SpacesBucket'))?.inputs.name ?? ''), secret: false },
            bucketRegion: { value: String(resources.find((r) => r.type.endsWith(':SpacesBucket'))?.inputs.region ?? ''), secret: false },
            bucketEndpoint: { value: `https://${String(resources.find((r) => r.type.endsWith(':SpacesBucket'))?.inputs.region ?? '')}.digitaloceanspaces.com`, secret: false },
            spacesKeyId: { value: 'DO00SIMULATEDKEY', secret: false },
            spacesSecretKey: { value: 'simulated-spaces-secret-key-0123456789', secret: true },
            // A second droplet (a replacement being built) answers at the same simulated address.
            ...(droplets.length > 1 && { standbyIp: { value: this.address, secret: false } }),
          },
        };
      },
      refresh: async (op) => {
        record('refresh', { clearPendingCreates: op.clearPendingCreates ?? false });
        const resources = this.deployed.get(stackName) ?? [];
        const changes = await this.#run(op, resources.map((r) => ({ ...r, op: 'refresh' as OpType })), false, undefined, this.drift);
        return { changeSummary: changes };
      },
      destroy: async (op) => {
        record('destroy');
        const resources = [...(this.deployed.get(stackName) ?? [])].reverse();
        await this.#run(op, resources.map((r) => ({ ...r, op: 'delete' as OpType })), false, (r) => {
          this.deployed.set(stackName, (this.deployed.get(stackName) ?? []).filter((d) => d.urn !== r.urn));
        });
      },
    };
  }

  async #run(
    op: OperationOptions,
    steps: (SimulatedResource & { op: OpType })[],
    planning: boolean,
    onDone?: (r: SimulatedResource) => void,
    drift?: Map<string, string[]>,
  ): Promise<Record<string, number>> {
    const started = Date.now();
    const emit = (event: Partial<EngineEvent>) => op.onEvent({ sequence: this.#sequence++, timestamp: Math.floor(Date.now() / 1000), ...event } as EngineEvent);
    const counts: Record<string, number> = {};
    emit({ preludeEvent: { config: {} } });
    for (const step of steps) {
      if (op.signal.aborted) {
        emit({ cancelEvent: {} });
        throw abortError();
      }
      const meta = { op: step.op, urn: step.urn, type: step.type, provider: '', new: { type: step.type, urn: step.urn, id: '', parent: '', inputs: step.inputs, outputs: {}, provider: '' } };
      emit({ resourcePreEvent: { metadata: meta, planning } });
      if (!planning && this.stepDelayMs) await delay(this.stepDelayMs, op.signal).catch(() => undefined);
      if (!planning && step.op === 'create' && this.failType?.type === step.type) {
        emit({ diagnosticEvent: { urn: step.urn, message: this.failType.message, color: 'never', severity: 'error' } });
        emit({ resOpFailedEvent: { metadata: meta, status: 1, steps: 1 } });
        emit({ summaryEvent: { maybeCorrupt: false, durationSeconds: (Date.now() - started) / 1000, resourceChanges: counts, policyPacks: {} } });
        throw new Error(`error: update failed\n  ${step.urn}: error: ${this.failType.message}`);
      }
      const changed = drift ? [...drift.entries()].find(([suffix]) => step.urn.endsWith(suffix))?.[1] : undefined;
      const outOp: OpType = changed ? (changed.length ? 'update' : 'delete') : step.op;
      emit({ resOutputsEvent: { metadata: { ...meta, op: outOp, ...(changed?.length && { diffs: changed }) }, planning } });
      counts[outOp === 'refresh' ? 'same' : outOp] = (counts[outOp === 'refresh' ? 'same' : outOp] ?? 0) + 1;
      if (!planning) onDone?.(step);
    }
    emit({ summaryEvent: { maybeCorrupt: false, durationSeconds: (Date.now() - started) / 1000, resourceChanges: counts, policyPacks: {} } });
    emit({ cancelEvent: {} });
    return counts;
  }
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), reject(abortError())), { once: true });
  });
}

/** Runs the inline program under Pulumi's mocks and returns what it declares, in order. */
let mockChain: Promise<unknown> = Promise.resolve();
function declaredResources(program: () => Promise<unknown>, project: string, stack: string): Promise<{ resources: SimulatedResource[]; hostname: string }> {
  // setMocks is process-wide: one program at a time.
  const run = mockChain.then(async () => {
    const found: SimulatedResource[] = [];
    await pulumi.runtime.setMocks(
      {
        newResource(args) {
          found.push({ urn: `urn:pulumi:${stack}::${project}::${args.type}::${args.name}`, type: args.type, inputs: args.inputs });
          return { id: `${args.name}-id`, state: { ...args.inputs, ipAddress: '198.51.100.23', accessKey: 'DO00SIMULATEDKEY', secretKey: 'simulated' } };
        },
        call: (args) => args.inputs,
      },
      project,
      stack,
      true,
    );
    const outputs = (await program()) as Record<string, unknown>;
    // Registrations resolve asynchronously: wait until the declared set stops growing.
    let seen = -1;
    while (seen !== found.length) {
      seen = found.length;
      await new Promise((r) => setTimeout(r, 20));
    }
    return { resources: found, hostname: typeof outputs.hostname === 'string' ? outputs.hostname : '' };
  });
  mockChain = run.catch(() => undefined);
  return run;
}
