import { z } from 'zod';
import { call } from './define.ts';
import { PDS_ENV_SAFE, PreflightResult, WebSettings } from './hosts.ts';
import { JobId } from './jobs.ts';
import { ServerId } from './servers.ts';

// The DigitalOcean setup wizard and the Pulumi stack behind each DigitalOcean server.

export const ResourceOp = z.enum(['create', 'update', 'replace', 'delete', 'same']);
export type ResourceOp = z.infer<typeof ResourceOp>;

/** One resource of a stack while an operation runs: one row in the job's view. */
export const ResourceRow = z.object({
  urn: z.string(),
  name: z.string(),
  type: z.string(),
  /** What it is, in words: "Droplet (the server)". */
  kind: z.string(),
  op: ResourceOp,
  state: z.enum(['pending', 'running', 'done', 'failed']),
});
export type ResourceRow = z.infer<typeof ResourceRow>;

export const CostLine = z.object({ label: z.string(), usdMonthly: z.number() });

/** What a preview found: the readable plan shown before anything is created. */
export const CloudPlanView = z.object({
  serverId: ServerId,
  resources: z.array(z.object({ urn: z.string(), type: z.string(), name: z.string(), kind: z.string(), op: ResourceOp })),
  monthlyCost: z.object({ totalUsd: z.number(), lines: z.array(CostLine) }),
  /** Operations an interrupted earlier run left pending, in words. Never hidden. */
  pendingOperations: z.array(z.string()),
  /** True when no real Pulumi engine produced it (test mode): the UI says so. */
  simulated: z.boolean(),
  createdAt: z.string(),
});
export type CloudPlanView = z.infer<typeof CloudPlanView>;

const Hostname = z
  .string()
  .trim()
  .toLowerCase()
  .max(253)
  .regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, 'not a hostname like pds.example.com');
const Ipv4 = z.string().regex(/^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/, 'not an IPv4 address');

/** What the wizard collected so far. Kept in config.json so closing the window loses nothing; never a secret. */
export const WizardDraft = z.object({
  step: z.enum(['token', 'size', 'domain', 'review', 'create', 'install', 'done']),
  serverId: ServerId,
  name: z.string().max(100).default(''),
  expectedAccounts: z.number().int().min(1).max(100_000).default(5),
  region: z.string().max(20).default(''),
  size: z.string().max(40).default(''),
  hostname: z.string().max(253).default(''),
  dnsMode: z.enum(['digitalocean', 'manual']).default('digitalocean'),
  dnsZone: z.string().max(253).nullable().default(null),
  sshFrom: z.string().max(15).default(''),
  bucketName: z.string().max(63).default(''),
  previewJobId: JobId.nullable().default(null),
  applyJobId: JobId.nullable().default(null),
  /** The hand-over job (cloud.handOver), once started: a window opened later follows the same job. */
  handOverJobId: JobId.nullable().default(null),
  plan: CloudPlanView.nullable().default(null),
  updatedAt: z.string().default(''),
});
export type WizardDraft = z.infer<typeof WizardDraft>;

/** The settings one stack is built from, checked before any preview. */
export const StackSettings = z
  .object({
    serverId: ServerId,
    name: z.string().trim().regex(/^[a-z0-9]([a-z0-9-]{0,48}[a-z0-9])?$/, 'use lowercase letters, digits and dashes (up to 50)'),
    region: z.string().regex(/^[a-z]{3}\d$/, 'not a region'),
    size: z.string().regex(/^[a-z0-9-]{3,40}$/, 'not a size'),
    hostname: Hostname,
    dnsMode: z.enum(['digitalocean', 'manual']),
    sshFrom: Ipv4,
  })
  .strict();
export type StackSettings = z.infer<typeof StackSettings>;

const JobStarted = z.object({ jobId: JobId });

/** Where a hand-over is: connecting (the droplet may still boot), checking, waiting for DNS, installing. */
export const HandOverPhase = z.enum(['connect', 'preflight', 'waiting-dns', 'install', 'done']);
export type HandOverPhase = z.infer<typeof HandOverPhase>;

/** What a hand-over job found so far, beyond its progress and log: what the wizard shows beside them. */
export const HandOverStatus = z.object({
  jobId: JobId,
  serverId: ServerId,
  phase: HandOverPhase,
  /** The droplet's host key as pinned on the first SSH connection ("SHA256:…"). */
  hostKeyFingerprint: z.string().nullable(),
  /** Why the droplet cannot be reached yet, while the job keeps trying (a new droplet is still booting). */
  unreachable: z.string().nullable(),
  /** The latest preflight: the DNS check the records table explains, and any failing check. */
  preflight: PreflightResult.nullable(),
});
export type HandOverStatus = z.infer<typeof HandOverStatus>;

export const DoRegionView = z.object({ slug: z.string(), name: z.string(), spaces: z.boolean() });
export const DoSizeView = z.object({
  slug: z.string(),
  memoryMb: z.number(),
  vcpus: z.number(),
  diskGb: z.number(),
  priceMonthly: z.number(),
  regions: z.array(z.string()),
});
export type DoSizeView = z.infer<typeof DoSizeView>;

export const cloudCalls = {
  /** Checks a token with DigitalOcean and keeps it in the keychain; without one, checks the kept token. */
  'cloud.checkToken': call(
    z.object({ token: z.string().trim().min(1).max(200).optional() }).strict(),
    /** serversUpdated: the servers whose own copy of the token was replaced by this one (names). */
    z.object({ email: z.string(), dropletLimit: z.number(), status: z.string(), serversUpdated: z.array(z.string()) }),
  ),
  /** Regions, sizes with their monthly price, and this computer's public address (for the SSH rule). */
  'cloud.options': call(
    z.object({}).strict(),
    z.object({ regions: z.array(DoRegionView), sizes: z.array(DoSizeView), publicAddress: z.string().nullable() }),
  ),
  /** Whether the hostname is in a DigitalOcean DNS zone, and the two records it needs. */
  'cloud.checkDomain': call(
    z.object({ hostname: Hostname }).strict(),
    z.object({ zone: z.string().nullable(), records: z.array(z.object({ type: z.literal('A'), name: z.string() })) }),
  ),
  /** Manual DNS: what the two names resolve to now, and whether both point at the address. */
  'cloud.resolveDns': call(
    z.object({ hostname: Hostname, address: Ipv4 }).strict(),
    z.object({ ok: z.boolean(), names: z.array(z.object({ name: z.string(), addresses: z.array(z.string()), ok: z.boolean() })) }),
  ),
  'cloud.draft': call(z.object({}).strict(), WizardDraft.nullable()),
  'cloud.saveDraft': call(z.object({ draft: WizardDraft }).strict(), z.object({})),
  'cloud.discardDraft': call(z.object({}).strict(), z.object({})),
  /** A job: installs the engine if needed, then previews the stack; the plan is read with cloud.plan. */
  'cloud.preview': call(StackSettings, JobStarted),
  'cloud.plan': call(z.object({ serverId: ServerId }).strict(), CloudPlanView.nullable()),
  /** What the stack created (address, bucket, key id; never a secret), or null before it exists. */
  'cloud.outputs': call(
    z.object({ serverId: ServerId }).strict(),
    z.object({ ip: z.string(), hostname: z.string(), bucketName: z.string(), bucketEndpoint: z.string(), spacesKeyId: z.string(), dnsManual: z.boolean() }).nullable(),
  ),
  /** A job: creates or updates everything the reviewed plan listed. */
  'cloud.apply': call(z.object({ serverId: ServerId }).strict(), JobStarted),
  /** A job: reads the real state from DigitalOcean and says in words what changed outside Hearth. */
  'cloud.refresh': call(z.object({ serverId: ServerId }).strict(), JobStarted),
  'cloud.destroyCheck': call(z.object({ serverId: ServerId }).strict(), z.object({ name: z.string(), backupWarning: z.string().nullable() })),
  /** A job: deletes the droplet, IP, firewall, DNS records, bucket and key. The server's name must be typed. */
  'cloud.destroy': call(z.object({ serverId: ServerId, confirmName: z.string() }).strict(), JobStarted),
  /**
   * A job: a new droplet beside the old one, the PDS installed there with the same secrets, the
   * old PDS stopped for a last backup which is restored there, the reserved IP moved, every DID
   * checked, then the old droplet deleted. Needs backups; the server's name must be typed. Ports
   * other than 443/80/3000/2019 are for tests only (the new droplet there shares a machine with the old).
   */
  'cloud.replace': call(
    z
      .object({
        serverId: ServerId,
        confirmName: z.string(),
        httpsPort: z.number().int().min(1).max(65535).optional(),
        httpPort: z.number().int().min(1).max(65535).optional(),
        pdsPort: z.number().int().min(1).max(65535).optional(),
        caddyAdminPort: z.number().int().min(1).max(65535).optional(),
      })
      .strict(),
    JobStarted,
  ),
  /**
   * A job: hands the created droplet to the SSH installer. Connects (retrying while the droplet
   * boots; the host key is pinned on first use), runs the preflight (waiting, re-checking every
   * 15 s, while only DNS is missing), then installs the PDS. Running it again finishes the work.
   * The web settings default to a public server's (ACME, 443/80); others are for LAN boxes and tests.
   */
  'cloud.handOver': call(
    z
      .object({
        serverId: ServerId,
        ...WebSettings,
        /** The PLC directory; default https://plc.directory (a private one is for a private network). */
        plcUrl: z.url({ protocol: /^https?$/ }).regex(PDS_ENV_SAFE, "a PLC address has letters, digits and . _ : / @ % + = , - only (it is written into the server's pds.env)").optional(),
      })
      .strict(),
    JobStarted,
  ),
  /** What a hand-over job found so far (phase, pinned host key, latest preflight), or null once Hearth restarted. */
  'cloud.handOverStatus': call(z.object({ jobId: JobId }).strict(), HandOverStatus.nullable()),
  /** The per-resource rows of a running or finished stack job. */
  'cloud.resources': call(z.object({ jobId: JobId }).strict(), z.array(ResourceRow)),
};

export const cloudEvents = {
  'cloud.resources': z.object({ jobId: JobId, rows: z.array(ResourceRow) }),
  'cloud.handOver': HandOverStatus,
};
