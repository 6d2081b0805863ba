/**
 * Accounts and invite codes against a real PDS and PLC (the sandbox, started as the UI starts it),
 * through Hearth's contract. Every effect is checked through the PDS's or PLC's own API, never
 * through what Hearth answered. Run inside scripts/with-keyring.sh.
 */
import { randomUUID } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingMessage, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AtpAgent } from '@atproto/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HearthError } from '../src/shared/errors.ts';
import { startInProcessPds } from './support/pds-in-process.ts';
import { startAppWithServers, startSandboxApp, type Caller, type SandboxApp } from './support/sandbox-app.ts';

let sandbox: SandboxApp;
let call: Caller;
const S = { serverId: 'sandbox' };
const unique = () => randomUUID().slice(0, 8);

beforeAll(async () => {
  sandbox = await startSandboxApp();
  call = sandbox.call;
});

afterAll(async () => {
  await sandbox?.stop();
});

const login = async (identifier: string, password: string) => {
  const agent = new AtpAgent({ service: sandbox.pdsUrl });
  await agent.login({ identifier, password });
  return agent;
};
const loginError = (identifier: string, password: string) => login(identifier, password).then(() => null, (e: unknown) => e as { error?: string; status?: number });

/** DIDs in the PDS's own listRepos (all pages). */
async function listedDids(): Promise<string[]> {
  const agent = new AtpAgent({ service: sandbox.pdsUrl });
  const dids: string[] = [];
  let cursor: string | undefined;
  do {
    const { data } = await agent.com.atproto.sync.listRepos({ limit: 1000, ...(cursor ? { cursor } : {}) });
    dids.push(...data.repos.map((r) => r.did));
    cursor = data.repos.length ? data.cursor : undefined;
  } while (cursor);
  return dids;
}

const failure = async (promise: Promise<unknown>): Promise<HearthError> => {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(HearthError);
  return err as HearthError;
};

async function createAccount(name = `u${unique()}`) {
  const handle = `${name}.test`;
  const email = `${name}@example.com`;
  const password = `pw-${randomUUID()}`;
  const created = await call('accounts.create', { ...S, handle, email, password });
  return { ...created, email, password };
}

describe('accounts on the sandbox PDS', () => {
  it('tells the handle domains and invite policy of the server', async () => {
    const info = await call('accounts.serverInfo', S);
    expect(info).toMatchObject({ availableUserDomains: ['.test'], inviteCodeRequired: false, plcUrl: sandbox.plcUrl, crawlers: [] });
  });

  it('creates an account that can log in, and lists it with its email and status', async () => {
    const alice = await createAccount();
    expect(alice.did).toMatch(/^did:plc:/);
    expect(alice.generatedPassword).toBeNull();
    const agent = await login(alice.handle, alice.password);
    expect(agent.session?.did).toBe(alice.did);

    const list = await call('accounts.list', S);
    const row = list.accounts.find((a) => a.did === alice.did);
    expect(row).toMatchObject({ handle: alice.handle, email: alice.email, status: 'active' });
    expect(row?.createdAt).toBeTruthy();
  });

  it('generates a password when asked, and that password logs in', async () => {
    const handle = `g${unique()}.test`;
    const created = await call('accounts.create', { ...S, handle, email: `${handle}@example.com`, password: null });
    expect(created.generatedPassword).toMatch(/^[A-Za-z0-9]{20}$/);
    expect((await login(handle, created.generatedPassword!)).session?.did).toBe(created.did);
  });

  it('refuses bad input with clear errors and changes nothing', async () => {
    const existing = await createAccount();
    const before = await listedDids();
    const attempt = (handle: string, email: string, password: string | null) => failure(call('accounts.create', { ...S, handle, email, password }));
    const fresh = () => `n${unique()}`;

    const invalid = await attempt('not a handle!', `${fresh()}@example.com`, 'long-enough-password');
    expect(invalid.code).toBe('VALIDATION');
    expect(invalid.message).toMatch(/not a valid handle/);

    const outside = await attempt(`${fresh()}.example.com`, `${fresh()}@example.com`, 'long-enough-password');
    expect(outside.code).toBe('VALIDATION');
    expect(outside.message).toMatch(/outside this server's handle domains \(\.test\)/);

    const duplicateHandle = await attempt(existing.handle, `${fresh()}@example.com`, 'long-enough-password');
    expect(duplicateHandle.code).toBe('CONFLICT');

    const duplicateEmail = await attempt(`${fresh()}.test`, existing.email, 'long-enough-password');
    expect(duplicateEmail.code).toBe('CONFLICT');
    expect(duplicateEmail.message).toMatch(/taken/i);

    const weak = await attempt(`${fresh()}.test`, `${fresh()}@example.com`, 'short');
    expect(weak).toMatchObject({ code: 'VALIDATION', message: expect.stringMatching(/too short/) });
    const guessable = await attempt(`${fresh()}.test`, `${fresh()}@example.com`, 'password123');
    expect(guessable).toMatchObject({ code: 'VALIDATION', message: expect.stringMatching(/too easy to guess/) });
    const empty = await attempt(`${fresh()}.test`, `${fresh()}@example.com`, '');
    expect(empty).toMatchObject({ code: 'VALIDATION', message: 'The password is empty.' });

    const badEmail = await attempt(`${fresh()}.test`, 'not-an-email', 'long-enough-password');
    expect(badEmail.code).toBe('VALIDATION');

    for (const err of [invalid, outside, duplicateHandle, duplicateEmail, weak, empty]) expect(err.hint).not.toBe('');
    expect((await listedDids()).sort()).toEqual(before.sort());
  });

  it('makes invite codes, records who used one, and disables codes', async () => {
    const { codes } = await call('accounts.createInvites', { ...S, count: 2, usesPerCode: 1 });
    expect(codes).toHaveLength(2);
    const handle = `i${unique()}.test`;
    const invited = await call('accounts.create', { ...S, handle, email: `${handle}@example.com`, password: 'a-good-password-1', inviteCode: codes[0] });

    // The PDS's own view: the admin API reports the use.
    const admin = new AtpAgent({ service: sandbox.pdsUrl });
    const adminPassword = (await sandbox.secrets.get('sandbox/admin-password'))!;
    const auth = { headers: { authorization: `Basic ${Buffer.from(`admin:${adminPassword}`).toString('base64')}` } };
    const { data } = await admin.com.atproto.admin.getInviteCodes({ limit: 100 }, auth);
    const used = data.codes.find((c) => c.code === codes[0]);
    expect(used?.uses.map((u) => u.usedBy)).toEqual([invited.did]);

    const listed = await call('accounts.listInvites', S);
    expect(listed.find((c) => c.code === codes[0])?.uses).toEqual([expect.objectContaining({ usedBy: invited.did, usedByHandle: handle })]);

    await call('accounts.disableInvites', { ...S, codes: [codes[1]!] });
    const after = await admin.com.atproto.admin.getInviteCodes({ limit: 100 }, auth);
    expect(after.data.codes.find((c) => c.code === codes[1])?.disabled).toBe(true);
    const refused = await failure(call('accounts.create', { ...S, handle: `j${unique()}.test`, email: `j${unique()}@example.com`, password: 'a-good-password-1', inviteCode: codes[1] }));
    expect(refused.code).toBe('VALIDATION');
    expect(refused.message).toMatch(/invite code/);
  });

  it('takes an account down (its login is refused) and restores it (login works again)', async () => {
    const bob = await createAccount();
    const before = await login(bob.handle, bob.password);
    await call('accounts.takedown', { ...S, did: bob.did });
    expect((await loginError(bob.handle, bob.password))?.error).toBe('AccountTakedown');
    // A session opened before the takedown is refused too.
    const used = await before.com.atproto.server.getSession().then(
      () => null,
      (e: unknown) => e as { error?: string; status?: number },
    );
    expect(used?.status).toBeGreaterThanOrEqual(400);
    expect((await call('accounts.list', S)).accounts.find((a) => a.did === bob.did)?.status).toBe('takendown');

    await call('accounts.restore', { ...S, did: bob.did });
    expect((await login(bob.handle, bob.password)).session?.did).toBe(bob.did);
    expect((await call('accounts.list', S)).accounts.find((a) => a.did === bob.did)?.status).toBe('active');
  });

  it('resets a password: the old one stops working, the new one works', async () => {
    const carol = await createAccount();
    const next = `new-${randomUUID()}`;
    expect(await call('accounts.resetPassword', { ...S, did: carol.did, password: next })).toEqual({ generatedPassword: null });
    expect(await loginError(carol.handle, carol.password)).toMatchObject({ status: 401 });
    expect((await login(carol.handle, next)).session?.did).toBe(carol.did);

    const { generatedPassword } = await call('accounts.resetPassword', { ...S, did: carol.did, password: null });
    expect((await login(carol.handle, generatedPassword!)).session?.did).toBe(carol.did);
    expect((await failure(call('accounts.resetPassword', { ...S, did: carol.did, password: 'tiny' }))).code).toBe('VALIDATION');
  });

  it('changes a handle (it resolves, the PLC document follows) and refuses one already taken', async () => {
    const dave = await createAccount();
    const other = await createAccount();
    const handle = `r${unique()}.test`;
    expect(await call('accounts.changeHandle', { ...S, did: dave.did, handle })).toEqual({ handle });
    const agent = new AtpAgent({ service: sandbox.pdsUrl });
    expect((await agent.com.atproto.identity.resolveHandle({ handle })).data.did).toBe(dave.did);
    const doc = (await (await fetch(`${sandbox.plcUrl}/${dave.did}`)).json()) as { alsoKnownAs: string[] };
    expect(doc.alsoKnownAs).toEqual([`at://${handle}`]);

    const taken = await failure(call('accounts.changeHandle', { ...S, did: dave.did, handle: other.handle }));
    expect(taken.code).toBe('CONFLICT');
    const outside = await failure(call('accounts.changeHandle', { ...S, did: dave.did, handle: 'dave.example.org' }));
    expect(outside.code).toBe('VALIDATION');
    expect((await agent.com.atproto.identity.resolveHandle({ handle })).data.did).toBe(dave.did);
  });

  it('changes an email', async () => {
    const erin = await createAccount();
    const email = `changed-${unique()}@example.com`;
    await call('accounts.changeEmail', { ...S, did: erin.did, email });
    const agent = await login(erin.handle, erin.password);
    expect((await agent.com.atproto.server.getSession()).data.email).toBe(email);
    expect((await failure(call('accounts.changeEmail', { ...S, did: erin.did, email: 'nope' }))).code).toBe('VALIDATION');
  });

  it('shows the DID document, PLC audit log, rotation-key check, collections, records and blobs', async () => {
    const fay = await createAccount();
    const agent = await login(fay.handle, fay.password);
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201a5b1a9ad0000000049454e44ae426082', 'hex');
    const blob = await agent.uploadBlob(png, { encoding: 'image/png' });
    await agent.com.atproto.repo.putRecord({ repo: fay.did, collection: 'app.bsky.actor.profile', rkey: 'self', record: { $type: 'app.bsky.actor.profile', displayName: 'Fay', avatar: blob.data.blob } });
    const post = await agent.post({ text: 'hello', createdAt: new Date().toISOString() });

    const detail = await call('accounts.detail', { ...S, did: fay.did });
    expect(detail.account).toMatchObject({ did: fay.did, handle: fay.handle, status: 'active' });
    expect(detail.didDocumentProblem).toBeNull();
    expect(detail.didDocument).toMatchObject({ id: fay.did, alsoKnownAs: [`at://${fay.handle}`] });
    expect(detail.auditLog.length).toBe(1);
    expect(detail.auditLog[0]?.operation).toMatchObject({ type: 'plc_operation' });
    expect(detail.serverRotationKey).toMatch(/^did:key:z/);
    expect(detail.rotationKeys).toContain(detail.serverRotationKey);
    expect(detail.serverKeyInRotation).toBe(true);
    expect(detail.collections).toEqual(expect.arrayContaining(['app.bsky.actor.profile', 'app.bsky.feed.post']));

    const records = await call('accounts.listRecords', { ...S, did: fay.did, collection: 'app.bsky.feed.post' });
    expect(records.records.map((r) => r.uri)).toEqual([post.uri]);
    const record = await call('accounts.getRecord', { ...S, uri: post.uri });
    expect(record.value).toMatchObject({ text: 'hello' });
    const profile = await call('accounts.getRecord', { ...S, uri: `at://${fay.did}/app.bsky.actor.profile/self` });
    expect(profile.value).toMatchObject({ avatar: { ref: { $link: blob.data.blob.ref.toString() } } });

    const blobs = await call('accounts.listBlobs', { ...S, did: fay.did });
    expect(blobs.blobs).toEqual([{ cid: blob.data.blob.ref.toString(), size: png.length, mimeType: 'image/png' }]);
  });

  it('deletes an account only when its handle is typed, and it leaves listRepos', async () => {
    const gus = await createAccount();
    const wrong = await failure(call('accounts.delete', { ...S, did: gus.did, confirmHandle: 'someone-else.test' }));
    expect(wrong.code).toBe('VALIDATION');
    expect(await listedDids()).toContain(gus.did);

    await call('accounts.delete', { ...S, did: gus.did, confirmHandle: gus.handle });
    expect(await listedDids()).not.toContain(gus.did);
    expect(await loginError(gus.handle, gus.password)).toBeTruthy();
  });

  it('asks the listed relays to crawl, and says so when there are none', async () => {
    const none = await failure(call('accounts.requestCrawl', S));
    expect(none.code).toBe('VALIDATION');

    // bsky.network is unreachable from here: a local stand-in relay records what it is asked.
    const asked: string[] = [];
    const relay = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        asked.push(`${req.url} ${body}`);
        res.setHeader('content-type', 'application/json');
        res.end('{}');
      });
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(relay.address() as AddressInfo).port}`;
      const { results } = await call('accounts.requestCrawl', { ...S, relays: [url] });
      expect(results).toEqual([{ relay: url, ok: true, message: expect.any(String) }]);
      expect(asked).toEqual([`/xrpc/com.atproto.sync.requestCrawl {"hostname":"localhost"}`]);
    } finally {
      await new Promise((resolve) => relay.close(resolve));
    }
  });
});

describe('accounts on any server Hearth knows (not the sandbox)', () => {
  /** A loopback proxy in front of the sandbox PDS that counts what the PDS is sent. */
  let proxy: HttpServer;
  let proxyUrl: string;
  const seen: { path: string; admin: boolean }[] = [];

  beforeAll(async () => {
    const target = new URL(sandbox.pdsUrl);
    proxy = createServer((req, res) => {
      seen.push({ path: req.url ?? '', admin: (req.headers.authorization ?? '').startsWith('Basic ') });
      const upstream = httpRequest(
        { host: '127.0.0.1', port: target.port, path: req.url, method: req.method, headers: { ...req.headers, host: target.host } },
        (reply: IncomingMessage) => {
          res.writeHead(reply.statusCode ?? 502, reply.headers);
          reply.pipe(res);
        },
      );
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => proxy?.close(resolve));
  });

  const server = (id: string) => ({ id, name: `Home server ${id}`, kind: 'ssh' as const, url: proxyUrl, plcUrl: sandbox.plcUrl, createdAt: new Date().toISOString() });

  it('reports a wrong admin password once, clearly, without retrying, and changes nothing', async () => {
    const victim = await createAccount();
    const other = await startAppWithServers([server('home')], { 'home/admin-password': 'not-the-password' });
    try {
      seen.length = 0;
      const takedown = await failure(other.call('accounts.takedown', { serverId: 'home', did: victim.did }));
      expect(takedown.code).toBe('AUTH');
      expect(takedown.message).toMatch(/refused Hearth's admin password/);
      expect(takedown.hint).toMatch(/tried once/);
      expect(seen).toEqual([{ path: '/xrpc/com.atproto.admin.updateSubjectStatus', admin: true }]);

      seen.length = 0;
      const list = await failure(other.call('accounts.list', { serverId: 'home' }));
      expect(list.code).toBe('AUTH');
      expect(seen.filter((r) => r.admin)).toHaveLength(1);

      // Nothing changed: the account still logs in.
      expect((await login(victim.handle, victim.password)).session?.did).toBe(victim.did);
    } finally {
      await other.stop();
    }
  });

  it('says when the admin password is missing from the keychain', async () => {
    const other = await startAppWithServers([server('bare')], {});
    try {
      const err = await failure(other.call('accounts.list', { serverId: 'bare' }));
      expect(err).toMatchObject({ code: 'NOT_FOUND', message: expect.stringMatching(/admin password/) });
      expect(err.hint).toContain('bare/admin-password');
    } finally {
      await other.stop();
    }
  });

  it("works with the keychain's admin password, and warns when the server's rotation key does not control a DID", async () => {
    const hana = await createAccount();
    const adminPassword = (await sandbox.secrets.get('sandbox/admin-password'))!;
    const { Secp256k1Keypair } = await import('@atproto/crypto');
    const stranger = await Secp256k1Keypair.create({ exportable: true });
    const other = await startAppWithServers([server('remote')], {
      'remote/admin-password': adminPassword,
      'remote/plc-rotation-key': Buffer.from(await stranger.export()).toString('hex'),
    });
    try {
      const list = await other.call('accounts.list', { serverId: 'remote' });
      expect(list.accounts.map((a) => a.did)).toContain(hana.did);
      const detail = await other.call('accounts.detail', { serverId: 'remote', did: hana.did });
      expect(detail.serverRotationKey).toBe(stranger.did());
      expect(detail.serverKeyInRotation).toBe(false);
      expect(detail.auditLog).toHaveLength(1);
    } finally {
      await other.stop();
    }
  });
});

describe('a server that requires invite codes', () => {
  it('makes a single-use code for a new account when none is given, and refuses a spent one', async () => {
    const pds = await startInProcessPds({ plcUrl: sandbox.plcUrl, handleDomain: '.club.test', inviteRequired: true });
    const other = await startAppWithServers(
      [{ id: 'club', name: 'Club', kind: 'ssh', url: pds.url, plcUrl: sandbox.plcUrl, createdAt: new Date().toISOString() }],
      { 'club/admin-password': pds.adminPassword, 'club/plc-rotation-key': pds.rotationKeyHex },
    );
    try {
      const c = (name: Parameters<Caller>[0], input: unknown) => other.call(name, input as never);
      expect(await c('accounts.serverInfo', { serverId: 'club' })).toMatchObject({ inviteCodeRequired: true, availableUserDomains: ['.club.test'] });
      const handle = `k${unique()}.club.test`;
      const password = `pw-${randomUUID()}`;
      const created = (await c('accounts.create', { serverId: 'club', handle, email: `${handle}@example.com`, password })) as { did: string; inviteCodeUsed: string };
      expect(created.inviteCodeUsed).toBeTruthy();
      const agent = new AtpAgent({ service: pds.url });
      await agent.login({ identifier: handle, password });
      expect(agent.session?.did).toBe(created.did);

      const codes = (await c('accounts.listInvites', { serverId: 'club' })) as { code: string; available: number; uses: { usedByHandle: string | null }[] }[];
      expect(codes.find((x) => x.code === created.inviteCodeUsed)).toMatchObject({ available: 1, uses: [{ usedByHandle: handle }] });

      const spent = await failure(c('accounts.create', { serverId: 'club', handle: `l${unique()}.club.test`, email: `l${unique()}@example.com`, password, inviteCode: created.inviteCodeUsed }));
      expect(spent.code).toBe('VALIDATION');
      const detail = (await c('accounts.detail', { serverId: 'club', did: created.did })) as { serverKeyInRotation: boolean | null; invitedBy: string | null };
      expect(detail).toMatchObject({ serverKeyInRotation: true, invitedBy: created.inviteCodeUsed });
    } finally {
      await other.stop();
      await pds.stop();
    }
  });
});
