import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, stat } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createApp } from '../src/core/app.ts';
import { DigitalOceanClient } from '../src/core/cloud/digitalocean/client.ts';
import { Redactor } from '../src/core/log/redact.ts';
import { KeyringSecretStore } from '../src/core/secrets/index.ts';
import type { JobDetail } from '../src/shared/contract/index.ts';
import { HearthError } from '../src/shared/errors.ts';
import { HOST_SCRIPTS_DIR } from './support/host-files.ts';

// The whole wizard flow against the REAL DigitalOcean API with the REAL Pulumi engine (downloaded
// into the test's data folder on first use). It creates billable resources — the smallest droplet
// (about $6 a month, billed by the hour: a few cents for the minutes it lives), a reserved IP and
// a Spaces bucket (the $5 Spaces subscription is billed per month) — and destroys them at the end.
// Run it only on purpose:
//   HEARTH_LIVE_DO_TOKEN=dop_v1_… [HEARTH_LIVE_DO_DOMAIN=example.com] scripts/with-keyring.sh npx vitest run test/cloud-live.test.ts
const token = process.env.HEARTH_LIVE_DO_TOKEN;
const domain = process.env.HEARTH_LIVE_DO_DOMAIN;
const skipReason = 'skipped: set HEARTH_LIVE_DO_TOKEN (a read+write DigitalOcean token) to run the live DigitalOcean test; it creates and destroys a small droplet (a few cents)';
if (!token) console.info(`cloud-live.test.ts ${skipReason}`);

describe.skipIf(!token)(`live DigitalOcean wizard flow${token ? '' : ` (${skipReason})`}`, () => {
  it('creates the smallest droplet with everything around it, checks it, refreshes without drift, and destroys it all', { timeout: 30 * 60_000 }, async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'hearth-live-'));
    const keychainService = `hearth-live-${randomUUID()}`;
    const app = await createApp({ dataDir, host: 'web', hostFilesDir: HOST_SCRIPTS_DIR, resolveOverrides: process.env.HEARTH_RESOLVE, version: '0.0.0-live', keychainService });
    const secrets = new KeyringSecretStore({ service: keychainService, redactor: new Redactor() });
    const call = async <T,>(name: string, input: unknown = {}): Promise<T> => {
      const res = await app.dispatch(name, input);
      if (!res.ok) throw HearthError.from(res.error);
      return res.result as T;
    };
    const settle = async (jobId: string): Promise<JobDetail> => {
      for (;;) {
        const job = await call<JobDetail>('jobs.get', { id: jobId });
        if (job.state !== 'running') return job;
        await new Promise((r) => setTimeout(r, 2_000));
      }
    };
    const serverId = `do-live-${randomBytes(3).toString('hex')}`;
    const name = `hearth-live-${randomBytes(2).toString('hex')}`;
    let created = false;
    try {
      await call('cloud.checkToken', { token });
      const options = await call<{ sizes: { slug: string; priceMonthly: number; regions: string[] }[]; publicAddress: string | null }>('cloud.options');
      expect(options.publicAddress, 'this computer’s public address is needed for the SSH rule').toBeTruthy();
      const smallest = options.sizes.filter((s) => s.regions.includes('nyc3'))[0]!;
      const hostname = domain ? `${name}.${domain}` : `${name}.example.com`;
      const settings = { serverId, name, region: 'nyc3', size: smallest.slug, hostname, dnsMode: domain ? 'digitalocean' : 'manual', sshFrom: options.publicAddress };

      const preview = await settle((await call<{ jobId: string }>('cloud.preview', settings)).jobId);
      expect(preview.state, JSON.stringify(preview.error)).toBe('succeeded');
      const plan = await call<{ simulated: boolean; resources: { op: string }[] }>('cloud.plan', { serverId });
      expect(plan.simulated).toBe(false);
      expect(plan.resources.every((r) => r.op === 'create')).toBe(true);

      created = true;
      const apply = await settle((await call<{ jobId: string }>('cloud.apply', { serverId })).jobId);
      expect(apply.state, JSON.stringify(apply.error)).toBe('succeeded');
      const outputs = await call<{ ip: string; bucketName: string }>('cloud.outputs', { serverId });
      expect(outputs.ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);

      // Health of what exists so far: the droplet answers SSH from this address (the PDS install
      // over SSH is the SSH feature's job).
      await expect.poll(() => tcpOpen(outputs.ip, 22), { timeout: 5 * 60_000, interval: 5_000 }).toBe(true);
      if (domain) {
        await expect.poll(async () => (await call<{ ok: boolean }>('cloud.resolveDns', { hostname, address: outputs.ip })).ok, { timeout: 5 * 60_000, interval: 10_000 }).toBe(true);
      }

      const refresh = await settle((await call<{ jobId: string }>('cloud.refresh', { serverId })).jobId);
      expect(refresh.log.map((l) => l.message)).toContain('Everything matches what Hearth created: nothing was changed outside Hearth.');

      // Secrets: encrypted in the real Pulumi state and stack config, plaintext nowhere on disk.
      const stackConfig = await readFile(join(dataDir, 'pulumi', 'work', serverId, `Pulumi.${serverId}.yaml`), 'utf8');
      expect(stackConfig).toMatch(/digitalocean:token:\s*\n\s*secure: /);
      expect(stackConfig).toMatch(/encryptionsalt: /);
      const needles = [
        token!,
        (await secrets.get(`${serverId}/pulumi-passphrase`))!,
        (await secrets.get(`${serverId}/spaces-admin-secret`))!,
        (await secrets.get(`${serverId}/spaces-secret-key`))!,
      ];
      expect(needles.every(Boolean)).toBe(true);
      const files = await walk(dataDir, [join(dataDir, 'pulumi', 'cli'), join(dataDir, 'pulumi', 'home', 'plugins')]);
      expect(files.some((f) => f.includes(`${join('.pulumi', 'stacks')}`))).toBe(true);
      for (const file of files) {
        const text = await readFile(file, 'utf8');
        for (const needle of needles) expect(text.includes(needle), `${file} holds a secret`).toBe(false);
      }
    } finally {
      if (created) {
        const destroy = await settle((await call<{ jobId: string }>('cloud.destroy', { serverId, confirmName: name })).jobId);
        expect(destroy.state, JSON.stringify(destroy.error)).toBe('succeeded');
      }
      // Hearth's SSH key for this server was registered on the account: remove it too.
      const client = new DigitalOceanClient({ token: token! });
      for (const key of await client.sshKeys()) if (key.name === `Hearth ${name}`) await client.deleteSshKey(key.id);
      await app.close();
    }
  });
});

function tcpOpen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 5_000 });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
    socket.once('error', () => resolve(false));
  });
}

async function walk(dir: string, skip: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir)) {
    const path = join(dir, entry);
    if (skip.includes(path)) continue;
    if ((await stat(path)).isDirectory()) out.push(...(await walk(path, skip)));
    else out.push(path);
  }
  return out;
}
