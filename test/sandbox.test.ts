/**
 * The "try it locally" sandbox against real components: a real PLC and PDS as child processes,
 * a real keychain (run inside scripts/with-keyring.sh), a temp data dir.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AtpAgent } from '@atproto/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sandbox, SANDBOX_SERVER_ID, type SandboxUrls } from '../src/core/sandbox/index.ts';
import type { JobContext } from '../src/core/jobs/job-context.ts';
import { Redactor } from '../src/core/log/redact.ts';
import { KeyringSecretStore } from '../src/core/secrets/keyring-store.ts';
import { PDS_SECRET_NAMES, secretAccount, type SecretStore } from '../src/core/secrets/secret-store.ts';
import { HearthError } from '../src/shared/errors.ts';
import type { SandboxStatus } from '../src/shared/contract/sandbox.ts';

const run = promisify(execFile);

function jobContext(signal: AbortSignal = new AbortController().signal) {
  const steps: string[] = [];
  const logs: string[] = [];
  const ctx: JobContext = {
    id: `test-${randomUUID()}`,
    signal,
    progress: (_fraction, step) => steps.push(step),
    log: (message) => logs.push(message),
  };
  return { ctx, steps, logs };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(condition: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function* filesUnder(dir: string): AsyncGenerator<string> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* filesUnder(path);
    else if (entry.isFile()) yield path;
  }
}

describe('sandbox: a real PLC and PDS as child processes', () => {
  let dataDir: string;
  let store: KeyringSecretStore;
  let redactor: Redactor;
  let sandbox: Sandbox;
  const statuses: SandboxStatus[] = [];
  const seenPids = new Set<number>();
  let urls: SandboxUrls;
  let ports: { pdsPort: number; plcPort: number };
  const account = { handle: 'alice.test', email: 'alice@example.com', password: `pw-${randomUUID()}`, did: '' };
  let post: { uri: string; rkey: string; text: string };

  const rememberPids = () => {
    for (const pid of Object.values(sandbox.pids())) if (pid) seenPids.add(pid);
  };

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'hearth-sandbox-'));
    redactor = new Redactor();
    store = new KeyringSecretStore({ service: `hearth-test-${randomUUID()}` });
    sandbox = new Sandbox({ dataDir, secrets: store, redactor, onStatus: (s) => statuses.push(s) });
  });

  afterAll(async () => {
    await sandbox?.remove().catch(() => undefined);
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('fails with NO_KEYCHAIN and creates nothing when the keychain is unreachable', async () => {
    const noKeychain: SecretStore = {
      get: () => Promise.reject(new HearthError('NO_KEYCHAIN', 'no keychain', 'unlock it')),
      set: () => Promise.reject(new Error('must not write')),
      delete: () => Promise.reject(new Error('must not delete')),
      list: () => Promise.reject(new Error('must not list')),
    };
    const orphan = new Sandbox({ dataDir, secrets: noKeychain, redactor });
    await expect(orphan.start(jobContext().ctx)).rejects.toMatchObject({ code: 'NO_KEYCHAIN' });
    expect(orphan.status().state).toBe('absent');
    expect(orphan.pids()).toEqual({ plc: null, pds: null });
    await expect(stat(join(dataDir, 'sandbox', 'sandbox.json'))).rejects.toThrow();
  });

  it('is absent before the first start, then creates secrets, ports and a healthy PDS', async () => {
    expect(sandbox.status()).toMatchObject({ state: 'absent', pdsUrl: null });
    expect(await sandbox.exists()).toBe(false);

    const { ctx, steps } = jobContext();
    urls = await sandbox.start(ctx);
    rememberPids();
    expect(steps).toEqual(
      expect.arrayContaining(['Preparing secrets', 'Starting identity directory (PLC)', 'Starting PDS', 'Checking health']),
    );
    expect(sandbox.status()).toMatchObject({ state: 'running', pdsUrl: urls.pdsUrl, plcUrl: urls.plcUrl });
    expect(statuses.map((s) => s.state)).toContain('starting');
    expect(await sandbox.exists()).toBe(true);

    const health = (await (await fetch(`${urls.pdsUrl}/xrpc/_health`)).json()) as { version: string };
    expect(health.version).toMatch(/^\d+\.\d+\.\d+/);

    ports = JSON.parse(await readFile(join(dataDir, 'sandbox', 'sandbox.json'), 'utf8')) as typeof ports;
    expect(urls.pdsUrl).toBe(`http://localhost:${ports.pdsPort}`);
    expect(urls.plcUrl).toBe(`http://localhost:${ports.plcPort}`);
    expect(await store.list(`${SANDBOX_SERVER_ID}/`)).toEqual(
      PDS_SECRET_NAMES.map((name) => secretAccount(SANDBOX_SERVER_ID, name)).sort(),
    );
    expect(await sandbox.adminPassword()).toBe(await store.get('sandbox/admin-password'));

    // Idempotent while running: same children, same URLs.
    const pidsBefore = sandbox.pids();
    expect(await sandbox.start(jobContext().ctx)).toEqual(urls);
    expect(sandbox.pids()).toEqual(pidsBefore);
  });

  it('creates an account and a post', async () => {
    const agent = new AtpAgent({ service: urls.pdsUrl });
    const created = await agent.createAccount({ handle: account.handle, email: account.email, password: account.password });
    account.did = created.data.did;
    expect(account.did).toMatch(/^did:plc:/);
    const text = `Hello from the sandbox ${randomUUID()}`;
    const res = await agent.post({ text, createdAt: new Date().toISOString() });
    post = { uri: res.uri, rkey: res.uri.split('/').pop() ?? '', text };
  });

  it('keeps ports, secrets, accounts, posts and DIDs across stop and start', async () => {
    const secretsBefore = await Promise.all(PDS_SECRET_NAMES.map((n) => store.get(secretAccount(SANDBOX_SERVER_ID, n))));
    await sandbox.stop(jobContext().ctx);
    expect(sandbox.status()).toMatchObject({ state: 'stopped', pdsUrl: null });
    for (const pid of seenPids) expect(isAlive(pid)).toBe(false);
    await sandbox.stop(); // idempotent

    const again = await sandbox.start(jobContext().ctx);
    rememberPids();
    expect(again).toEqual(urls);
    expect(JSON.parse(await readFile(join(dataDir, 'sandbox', 'sandbox.json'), 'utf8'))).toMatchObject(ports);
    expect(await Promise.all(PDS_SECRET_NAMES.map((n) => store.get(secretAccount(SANDBOX_SERVER_ID, n))))).toEqual(secretsBefore);

    const agent = new AtpAgent({ service: urls.pdsUrl });
    await agent.login({ identifier: account.handle, password: account.password });
    expect(agent.session?.did).toBe(account.did);
    const record = await agent.com.atproto.repo.getRecord({ repo: account.did, collection: 'app.bsky.feed.post', rkey: post.rkey });
    expect((record.data.value as { text: string }).text).toBe(post.text);
    const list = await agent.com.atproto.repo.listRecords({ repo: account.did, collection: 'app.bsky.feed.post' });
    expect(list.data.records.map((r) => r.uri)).toContain(post.uri);

    const res = await fetch(`${urls.plcUrl}/${account.did}`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { id: string; alsoKnownAs: string[]; service: { id: string; serviceEndpoint: string }[] };
    expect(doc.id).toBe(account.did);
    expect(doc.alsoKnownAs).toContain(`at://${account.handle}`);
    expect(doc.service.find((s) => s.id === '#atproto_pds')?.serviceEndpoint).toBe(urls.pdsUrl);

    // A handle change is a PLC operation signed with the rotation key from the keychain, chained
    // to the replayed one: it proves both survived the restart.
    const newHandle = 'alice-renamed.test';
    await agent.com.atproto.identity.updateHandle({ handle: newHandle });
    const updated = (await (await fetch(`${urls.plcUrl}/${account.did}`)).json()) as { alsoKnownAs: string[] };
    expect(updated.alsoKnownAs).toEqual([`at://${newHandle}`]);
    const resolved = await agent.com.atproto.identity.resolveHandle({ handle: newHandle });
    expect(resolved.data.did).toBe(account.did);
    const journal = await readFile(join(dataDir, 'sandbox', 'plc', 'operations.jsonl'), 'utf8');
    expect(journal.trim().split('\n')).toHaveLength(2);
    // The PDS resolves DIDs through the sandbox PLC without trouble.
    expect(await readFile(join(dataDir, 'sandbox', 'logs', 'pds.log'), 'utf8')).not.toContain('failed to resolve did doc');
  });

  it('reports a killed PDS as crashed while the panel keeps running, and stop leaves no child', async () => {
    const { pds, plc } = sandbox.pids();
    expect(pds && plc).toBeTruthy();
    process.kill(pds!, 'SIGKILL');
    await until(() => sandbox.status().state === 'crashed');
    expect(sandbox.status().message).toMatch(/stopped unexpectedly/);
    await sandbox.stop();
    expect(sandbox.status().state).toBe('stopped');
    await until(() => [...seenPids].every((pid) => !isAlive(pid)));
  });

  it('says which port is taken when another program holds the PDS port', async () => {
    const squatter: Server = createServer();
    await new Promise<void>((resolve) => squatter.listen(ports.pdsPort, '127.0.0.1', resolve));
    try {
      const error = await sandbox.start(jobContext().ctx).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(HearthError);
      expect(error).toMatchObject({ code: 'CONFLICT' });
      expect((error as HearthError).message).toContain(String(ports.pdsPort));
      expect(sandbox.status().state).toBe('stopped');
      expect(sandbox.pids()).toEqual({ plc: null, pds: null });
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  });

  it('kills its children when the start is cancelled', async () => {
    const controller = new AbortController();
    const { ctx } = jobContext(controller.signal);
    const progress = ctx.progress;
    ctx.progress = (fraction, step) => {
      progress(fraction, step);
      // Cancel while the PDS child is booting.
      if (step === 'Starting PDS') {
        setTimeout(() => {
          rememberPids();
          expect(sandbox.pids().pds).toBeTruthy();
          controller.abort();
        }, 300);
      }
    };
    await expect(sandbox.start(ctx)).rejects.toMatchObject({ name: 'AbortError' });
    expect(sandbox.status().state).toBe('stopped');
    expect(sandbox.pids()).toEqual({ plc: null, pds: null });
    await until(() => [...seenPids].every((pid) => !isAlive(pid)));
  });

  it('never loads the PDS or PLC libraries into the panel process', async () => {
    // A fresh Node process imports the sandbox module and records every module it resolves.
    const script = `
      import { registerHooks } from 'node:module';
      const seen = [];
      registerHooks({ resolve(specifier, context, next) { const r = next(specifier, context); seen.push(r.url); return r; } });
      await import(${JSON.stringify(new URL('../src/core/sandbox/index.ts', import.meta.url).href)});
      console.log(JSON.stringify(seen));
    `;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script]);
    const seen = JSON.parse(stdout) as string[];
    expect(seen.some((url) => url.endsWith('/sandbox/sandbox.ts'))).toBe(true);
    expect(seen.filter((url) => /@atproto\/pds|@did-plc|@atproto\/crypto/.test(url))).toEqual([]);
  });

  it('writes no secret into any file under the data dir', async () => {
    const secrets = await Promise.all(PDS_SECRET_NAMES.map((n) => store.get(secretAccount(SANDBOX_SERVER_ID, n))));
    const needles: Buffer[] = [];
    for (const value of secrets) {
      expect(value).toBeTruthy();
      needles.push(Buffer.from(value!, 'utf8'));
    }
    // The rotation key and JWT secret are hex: look for their raw bytes too.
    needles.push(Buffer.from(secrets[0]!, 'hex'), Buffer.from(secrets[2]!, 'hex'));
    let files = 0;
    for await (const file of filesUnder(dataDir)) {
      files += 1;
      const content = await readFile(file);
      for (const needle of needles) expect(content.includes(needle), `${file} contains a secret`).toBe(false);
    }
    expect(files).toBeGreaterThan(5);
    const pdsLog = await readFile(join(dataDir, 'sandbox', 'logs', 'pds.log'), 'utf8');
    expect(pdsLog).toContain('pds: listening on port');
  });

  it('removes its data and its keychain entries', async () => {
    await sandbox.remove();
    expect(sandbox.status().state).toBe('absent');
    expect(await sandbox.exists()).toBe(false);
    await expect(stat(join(dataDir, 'sandbox'))).rejects.toThrow();
    expect(await store.list(`${SANDBOX_SERVER_ID}/`)).toEqual([]);
    await expect(sandbox.adminPassword()).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
