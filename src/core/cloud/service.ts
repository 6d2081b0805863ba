import { randomBytes } from 'node:crypto';
import { resolve4 } from 'node:dns/promises';
import { z } from 'zod';
import { CloudPlanView, WizardDraft, type ResourceRow, type StackSettings } from '../../shared/contract/cloud.ts';
import { HearthError } from '../../shared/errors.ts';
import type { ConfigStore } from '../config/index.ts';
import { jobPart, type JobContext } from '../jobs/job-context.ts';
import type { JobManager } from '../jobs/index.ts';
import type { Redactor } from '../log/redact.ts';
import type { SecretStore } from '../secrets/index.ts';
import type { ServerRegistry } from '../servers/registry.ts';
import { generateSshKey } from '../hosts/ssh/keys.ts';
import { DO_TOKEN_SECRET, GLOBAL_TOKEN_ACCOUNT, LEGACY_SSH_KEY_SECRET, SPACES_ADMIN_KEY_ID_SECRET, SPACES_ADMIN_SECRET, SSH_KEY_SECRET } from '../secrets/names.ts';
import { secretAccount } from '../secrets/secret-store.ts';
import type { AutomationApi } from './automation.ts';
import { DigitalOceanClient, DO_API_URL } from './digitalocean/client.ts';
import { requiredRecords, SPACES_REGIONS, type CloudPlan } from './plan.ts';
import type { StackOutputs, StackRunner } from './stack-runner.ts';

export { GLOBAL_TOKEN_ACCOUNT } from '../secrets/names.ts';

/** What Hearth remembers about one DigitalOcean stack in config.json: never a secret. */
const StackRecord = z.object({
  plan: z.object({
    name: z.string(),
    region: z.string(),
    size: z.string(),
    image: z.string(),
    sshKeyFingerprint: z.string(),
    sshFrom: z.string(),
    hostname: z.string(),
    dnsZone: z.string().nullable(),
    bucketName: z.string(),
    dropletGeneration: z.number().int().min(0).optional(),
    standbyGeneration: z.number().int().min(0).nullable().optional(),
  }),
  sshPublicKey: z.string(),
  sizePriceMonthly: z.number(),
  reviewed: CloudPlanView.nullable(),
  outputs: z.record(z.string(), z.string()).nullable(),
});
type StackRecord = z.infer<typeof StackRecord>;

const CloudSettings = z.object({ draft: WizardDraft.nullable().default(null), stacks: z.record(z.string(), StackRecord).default({}) }).loose();
type CloudSettings = z.infer<typeof CloudSettings>;

export interface CloudServiceOptions {
  dataDir: string;
  secrets: SecretStore;
  redactor: Redactor;
  config: ConfigStore;
  servers: ServerRegistry;
  jobs: JobManager;
  /** Tests inject the simulated engine (test/support); otherwise the real one, loaded on first use. */
  automation?: AutomationApi;
  simulated?: boolean;
  onRows: (jobId: string, rows: ResourceRow[]) => void;
  apiUrl?: string;
  /** Answers `{ "ip": "…" }` with this computer's public address. */
  publicIpUrl?: string;
  resolve4?: (name: string) => Promise<string[]>;
  /**
   * The port the droplet's sshd answers on (a real droplet: 22). Tests point the simulated
   * engine's reserved IP at a test server on loopback and its sshd port here.
   */
  dropletSshPort?: number | ((generation: number) => number);
}

/**
 * The DigitalOcean setup: the token, the wizard's choices (a draft kept in config.json so nothing
 * is lost when the window closes) and the jobs that preview, create, refresh and destroy a stack.
 */
export class CloudService {
  readonly #o: CloudServiceOptions;
  #runner: Promise<StackRunner> | null = null;

  constructor(options: CloudServiceOptions) {
    this.#o = options;
  }

  client(token: string, signal?: AbortSignal): DigitalOceanClient {
    return new DigitalOceanClient({ token, baseUrl: this.#o.apiUrl ?? DO_API_URL, redactor: this.#o.redactor, ...(signal && { signal }) });
  }

  async #token(serverId?: string): Promise<string> {
    const token = (serverId && (await this.#o.secrets.get(secretAccount(serverId, DO_TOKEN_SECRET)))) || (await this.#o.secrets.get(GLOBAL_TOKEN_ACCOUNT));
    if (!token) throw new HearthError('AUTH', 'Hearth has no DigitalOcean token yet.', 'Paste your token in the first step of the wizard.');
    return token;
  }

  async checkToken(token?: string) {
    const candidate = token ?? (await this.#token());
    this.#o.redactor.register(candidate);
    const account = await this.client(candidate).account();
    const serversUpdated: string[] = [];
    if (token) {
      await this.#o.secrets.set(GLOBAL_TOKEN_ACCOUNT, token);
      serversUpdated.push(...(await this.#handOutToken(token, account.uuid)));
    }
    return { email: account.email, dropletLimit: account.droplet_limit, status: account.status, serversUpdated };
  }

  /**
   * Tokens expire (DigitalOcean's token form asks for an expiry) and each server keeps its own
   * copy, so a new token must reach every server of the same account, or refresh, replace and
   * destroy would answer 401 there forever. A server's copy is replaced when DigitalOcean refuses
   * it (expired or revoked) or when it belongs to the same account; a working token of another
   * account stays, so two accounts never get mixed up.
   */
  async #handOutToken(token: string, accountUuid: string): Promise<string[]> {
    const updated: string[] = [];
    for (const server of this.#o.servers.list().filter((s) => s.kind === 'digitalocean')) {
      const entry = secretAccount(server.id, DO_TOKEN_SECRET);
      const old = await this.#o.secrets.get(entry);
      if (!old || old === token) continue;
      this.#o.redactor.register(old);
      const replace = await this.client(old)
        .account()
        .then(
          (a) => a.uuid === accountUuid,
          (err: unknown) => err instanceof HearthError && err.code === 'AUTH',
        );
      if (!replace) continue;
      await this.#o.secrets.set(entry, token);
      updated.push(server.name);
    }
    return updated;
  }

  async options() {
    const client = this.client(await this.#token());
    const [regions, sizes, publicAddress] = await Promise.all([client.regions(), client.sizes(), this.#publicAddress()]);
    return {
      regions: regions.filter((r) => r.available).map((r) => ({ slug: r.slug, name: r.name, spaces: SPACES_REGIONS.includes(r.slug) })),
      sizes: sizes
        .filter((s) => s.available)
        .map((s) => ({ slug: s.slug, memoryMb: s.memory, vcpus: s.vcpus, diskGb: s.disk, priceMonthly: s.price_monthly, regions: s.regions }))
        .sort((a, b) => a.priceMonthly - b.priceMonthly),
      publicAddress,
    };
  }

  async #publicAddress(): Promise<string | null> {
    try {
      const res = await fetch(this.#o.publicIpUrl ?? PUBLIC_IP_URL, { signal: AbortSignal.timeout(5_000) });
      const body = z.object({ ip: z.ipv4() }).safeParse(await res.json());
      return body.success ? body.data.ip : null;
    } catch {
      // The wizard asks for it instead.
      return null;
    }
  }

  async checkDomain(hostname: string) {
    const zone = await this.client(await this.#token()).zoneFor(hostname);
    return { zone, records: requiredRecords(hostname) };
  }

  /** Manual DNS: both names (the hostname and a name under the wildcard) must resolve to the address. */
  async resolveDns(hostname: string, address: string) {
    const lookup = this.#o.resolve4 ?? resolve4;
    const probe = `hearth-check-${randomBytes(3).toString('hex')}.${hostname}`;
    const names = await Promise.all(
      [hostname, probe].map(async (name) => {
        const addresses = await lookup(name).catch(() => [] as string[]);
        return { name: name === probe ? `*.${hostname} (checked as ${probe})` : name, addresses, ok: addresses.includes(address) };
      }),
    );
    return { ok: names.every((n) => n.ok), names };
  }

  async #settings(): Promise<CloudSettings> {
    const parsed = CloudSettings.safeParse(this.#o.config.get().settings.cloud ?? {});
    return parsed.success ? parsed.data : { draft: null, stacks: {} };
  }

  async #saveSettings(change: (s: CloudSettings) => void): Promise<void> {
    await this.#o.config.update((config) => {
      const parsed = CloudSettings.safeParse(config.settings.cloud ?? {});
      const current: CloudSettings = parsed.success ? parsed.data : { draft: null, stacks: {} };
      change(current);
      config.settings.cloud = current;
    });
  }

  async draft(): Promise<WizardDraft | null> {
    return (await this.#settings()).draft;
  }

  async saveDraft(draft: WizardDraft): Promise<void> {
    await this.#saveSettings((s) => {
      s.draft = { ...draft, updatedAt: new Date().toISOString() };
    });
  }

  async discardDraft(): Promise<void> {
    await this.#saveSettings((s) => {
      s.draft = null;
    });
  }

  async plan(serverId: string): Promise<CloudPlanView | null> {
    return (await this.#settings()).stacks[serverId]?.reviewed ?? null;
  }

  async outputs(serverId: string) {
    const record = (await this.#settings()).stacks[serverId];
    const o = record?.outputs;
    if (!record || !o?.ip) return null;
    return { ip: o.ip, hostname: o.hostname ?? '', bucketName: o.bucketName ?? '', bucketEndpoint: o.bucketEndpoint ?? '', spacesKeyId: o.spacesKeyId ?? '', dnsManual: record.plan.dnsZone === null };
  }

  async #record(serverId: string): Promise<StackRecord> {
    const record = (await this.#settings()).stacks[serverId];
    if (!record) throw new HearthError('NOT_FOUND', 'Hearth has no DigitalOcean plan for this server.', 'Run the wizard’s review step first.');
    return record;
  }

  #stackRunner(): Promise<StackRunner> {
    // Loaded on first use: the Pulumi SDK is large and most launches never need it.
    this.#runner ??= (async () => {
      const { StackRunner } = await import('./stack-runner.ts');
      const chosen = this.#o.automation
        ? { automation: this.#o.automation, simulated: this.#o.simulated ?? false }
        : { automation: (await import('./automation.ts')).realAutomation(), simulated: false };
      return new StackRunner({ dataDir: this.#o.dataDir, secrets: this.#o.secrets, onRows: this.#o.onRows, ...chosen });
    })();
    this.#runner.catch(() => (this.#runner = null));
    return this.#runner;
  }

  async rows(jobId: string): Promise<ResourceRow[]> {
    return this.#runner ? (await this.#runner).rows(jobId) : [];
  }

  /** Starts the preview job: SSH key and token set up for this server, then the engine's plan. */
  startPreview(settings: StackSettings): string {
    const { id } = this.#o.jobs.start({
      kind: 'cloud.preview',
      target: settings.name,
      title: `Plan the DigitalOcean server ${settings.name}`,
      run: (ctx) => this.#preview(ctx, settings),
    });
    return id;
  }

  async #preview(ctx: JobContext, settings: StackSettings): Promise<CloudPlanView> {
    const { serverId } = settings;
    const token = await this.#token(serverId);
    await this.#o.secrets.set(secretAccount(serverId, DO_TOKEN_SECRET), token);
    const client = this.client(token, ctx.signal);
    ctx.progress(0.01, 'Checking the choices with DigitalOcean');
    const [sizes, zone] = await Promise.all([client.sizes(), settings.dnsMode === 'digitalocean' ? client.zoneFor(settings.hostname) : Promise.resolve(null)]);
    const size = sizes.find((s) => s.slug === settings.size);
    if (!size) throw new HearthError('VALIDATION', `DigitalOcean has no size called ${settings.size}.`, 'Go back and pick a size from the list.');
    if (!size.regions.includes(settings.region)) throw new HearthError('VALIDATION', `The size ${settings.size} is not offered in ${settings.region}.`, 'Pick another size or region.');
    if (settings.dnsMode === 'digitalocean' && !zone) {
      throw new HearthError('VALIDATION', `${settings.hostname} is not in a DNS zone of this DigitalOcean account.`, 'Add the domain under Networking → Domains in DigitalOcean, or choose "I manage DNS elsewhere".');
    }

    const existing = (await this.#settings()).stacks[serverId];
    const sshPublicKey = (existing && (await this.#keptSshKey(serverId)) && existing.sshPublicKey) || (await this.#newSshKey(serverId, settings.name));
    ctx.progress(0.015, 'Registering Hearth’s SSH key with DigitalOcean');
    const key = await client.registerSshKey(`Hearth ${settings.name}`, sshPublicKey);
    const plan: CloudPlan = {
      name: settings.name,
      region: settings.region,
      size: settings.size,
      image: 'ubuntu-24-04-x64',
      sshKeyFingerprint: key.fingerprint,
      sshFrom: settings.sshFrom,
      hostname: settings.hostname,
      dnsZone: settings.dnsMode === 'digitalocean' ? zone : null,
      bucketName: existing?.plan.bucketName ?? `hearth-${settings.name}-${randomBytes(3).toString('hex')}`.slice(0, 63),
      // A replaced droplet's generation is kept: planning again must not bring back the first droplet.
      dropletGeneration: existing?.plan.dropletGeneration ?? 0,
      standbyGeneration: existing?.plan.standbyGeneration ?? null,
    };
    const reviewed = await (await this.#stackRunner()).preview(ctx, plan, size.price_monthly, serverId);
    await this.#saveSettings((s) => {
      s.stacks[serverId] = { plan, sshPublicKey, sizePriceMonthly: size.price_monthly, reviewed, outputs: existing?.outputs ?? null };
    });
    return reviewed;
  }

  /**
   * One key per server, under the name the SSH installer reads (hosts' SSH_KEY_SECRET), so the
   * key DigitalOcean puts on the droplet is the one the install logs in with. A key kept under
   * the wizard's earlier name moves over. False when the keychain has neither.
   */
  async #keptSshKey(serverId: string): Promise<boolean> {
    if (await this.#o.secrets.get(secretAccount(serverId, SSH_KEY_SECRET))) return true;
    const legacy = await this.#o.secrets.get(secretAccount(serverId, LEGACY_SSH_KEY_SECRET));
    if (!legacy) return false;
    await this.#o.secrets.set(secretAccount(serverId, SSH_KEY_SECRET), legacy);
    await this.#o.secrets.delete(secretAccount(serverId, LEGACY_SSH_KEY_SECRET));
    return true;
  }

  async #newSshKey(serverId: string, name: string): Promise<string> {
    const pair = generateSshKey(`hearth@${name}`);
    await this.#o.secrets.set(secretAccount(serverId, SSH_KEY_SECRET), pair.privateKey);
    return pair.publicKey;
  }

  async startApply(serverId: string): Promise<string> {
    const { plan } = await this.#record(serverId);
    const { id } = this.#o.jobs.start({
      kind: 'cloud.apply',
      target: plan.name,
      title: `Create the server ${plan.name} on DigitalOcean`,
      locks: [{ id: serverId, name: plan.name }],
      run: (ctx) => this.#apply(ctx, serverId),
    });
    return id;
  }

  async #apply(ctx: JobContext, serverId: string): Promise<StackOutputs> {
    const record = await this.#record(serverId);
    if (!record.reviewed) throw new HearthError('CONFLICT', 'This plan has not been reviewed yet.', 'Run the review step first.');
    await this.#ensureSpacesAdminKey(ctx, serverId, record.plan.name);
    const outputs = await (await this.#stackRunner()).apply(ctx, record.plan, serverId, record.reviewed);
    await this.#saveSettings((s) => {
      const r = s.stacks[serverId];
      if (r) r.outputs = { ...outputs };
    });
    const known = this.#o.servers.list().find((s) => s.id === serverId);
    const port = this.sshPort(record.plan.dropletGeneration ?? 0);
    // The installer reaches the droplet at its reserved IP as root with the key registered above.
    // The host key is pinned on the first connection; it stays pinned while the address is the same.
    const sameHost = known?.ssh?.host === outputs.ip && known.ssh.port === port;
    await this.#o.servers.upsert({
      ...known,
      id: serverId,
      name: record.plan.name,
      kind: 'digitalocean',
      url: known?.install ? known.url : `https://${outputs.hostname}`,
      createdAt: known?.createdAt ?? new Date().toISOString(),
      ssh: { host: outputs.ip, port, username: 'root', hostKey: sameHost ? (known.ssh?.hostKey ?? null) : null, publicKey: record.sshPublicKey },
    });
    ctx.log(`The droplet answers at ${outputs.ip}; ${outputs.hostname} points there${record.plan.dnsZone ? '' : ' once you create the two DNS records'}.`);
    return outputs;
  }

  /** The port a droplet's sshd answers on: 22, except in tests (see dropletSshPort). */
  sshPort(generation: number): number {
    const port = this.#o.dropletSshPort;
    return (typeof port === 'function' ? port(generation) : port) ?? 22;
  }

  /** Which droplet generation holds the reserved IP, and which (if any) stands by. */
  async generations(serverId: string): Promise<{ active: number; standby: number | null }> {
    const { plan } = await this.#record(serverId);
    return { active: plan.dropletGeneration ?? 0, standby: plan.standbyGeneration ?? null };
  }

  /**
   * Runs the stack with these droplets (plan, then apply, as one part of a larger job). The intent
   * is saved first, so an interrupted run is picked up where it stopped.
   */
  async setDroplets(ctx: JobContext, serverId: string, droplets: { active: number; standby: number | null }): Promise<StackOutputs> {
    const record = await this.#record(serverId);
    const plan: CloudPlan = { ...record.plan, dropletGeneration: droplets.active, standbyGeneration: droplets.standby };
    await this.#saveSettings((s) => {
      const r = s.stacks[serverId];
      if (r) r.plan = plan;
    });
    const runner = await this.#stackRunner();
    const reviewed = await runner.preview(jobPart(ctx, 0, 0.3), plan, record.sizePriceMonthly, serverId);
    const outputs = await runner.apply(jobPart(ctx, 0.3, 1), plan, serverId, reviewed);
    await this.#saveSettings((s) => {
      const r = s.stacks[serverId];
      if (r) {
        r.reviewed = reviewed;
        r.outputs = { ...outputs };
      }
    });
    return outputs;
  }

  /**
   * Creating a bucket needs a Spaces key with full access (DigitalOcean's API cannot create a
   * bucket with a token alone). It is made once per server over the REST API and kept in the
   * keychain; the server itself only ever gets the bucket-scoped key the program creates.
   */
  async #ensureSpacesAdminKey(ctx: JobContext, serverId: string, name: string): Promise<void> {
    if (await this.#o.secrets.get(secretAccount(serverId, SPACES_ADMIN_SECRET))) return;
    ctx.progress(0.01, 'Creating a Spaces key to create the bucket with');
    const key = await this.client(await this.#token(serverId), ctx.signal).createSpacesKey(`hearth-${name}-admin`, [{ bucket: '', permission: 'fullaccess' }]);
    await this.#o.secrets.set(secretAccount(serverId, SPACES_ADMIN_SECRET), key.secret_key);
    await this.#o.secrets.set(secretAccount(serverId, SPACES_ADMIN_KEY_ID_SECRET), key.access_key);
    ctx.log(`Created the Spaces key ${key.name} (used only by this computer to manage the bucket).`);
  }

  /** With the bucket gone, the full-access key has nothing left to manage: it goes too. */
  async #removeSpacesAdminKey(ctx: JobContext, serverId: string): Promise<void> {
    const accessKey = await this.#o.secrets.get(secretAccount(serverId, SPACES_ADMIN_KEY_ID_SECRET));
    if (!accessKey) return;
    try {
      await this.client(await this.#token(serverId), ctx.signal).deleteSpacesKey(accessKey);
    } catch (err) {
      if (!(err instanceof HearthError && err.code === 'NOT_FOUND')) throw err;
    }
    await this.#o.secrets.delete(secretAccount(serverId, SPACES_ADMIN_SECRET));
    await this.#o.secrets.delete(secretAccount(serverId, SPACES_ADMIN_KEY_ID_SECRET));
    ctx.log('Deleted the Spaces key Hearth used to manage the bucket.');
  }

  async startRefresh(serverId: string): Promise<string> {
    const { plan } = await this.#record(serverId);
    const { id } = this.#o.jobs.start({
      kind: 'cloud.refresh',
      target: plan.name,
      title: `Compare ${plan.name} on DigitalOcean with what Hearth created`,
      run: async (ctx) => (await this.#stackRunner()).refresh(ctx, plan, serverId),
    });
    return id;
  }

  /** The name to type; the backup warning comes from the server's backup status (cloud handlers). */
  async destroyCheck(serverId: string): Promise<{ name: string }> {
    return { name: (await this.#record(serverId)).plan.name };
  }

  startDestroy(serverId: string, confirmName: string): Promise<string> {
    return this.#record(serverId).then((record) => {
      if (confirmName.trim() !== record.plan.name) {
        throw new HearthError('VALIDATION', 'The name you typed does not match the server’s name.', `Type ${record.plan.name} exactly to confirm.`);
      }
      const { id } = this.#o.jobs.start({
        kind: 'cloud.destroy',
        target: record.plan.name,
        title: `Destroy the DigitalOcean server ${record.plan.name}`,
        locks: [{ id: serverId, name: record.plan.name }],
        run: async (ctx) => {
          await (await this.#stackRunner()).destroy(ctx, record.plan, serverId);
          await this.#saveSettings((s) => {
            const r = s.stacks[serverId];
            if (r) r.outputs = null;
          });
          await this.#removeSpacesAdminKey(ctx, serverId);
        },
      });
      return id;
    });
  }
}

/** Where the wizard asks for this computer's public address (to open SSH to it alone). */
const PUBLIC_IP_URL = 'https://api.ipify.org?format=json';
