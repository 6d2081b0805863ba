/**
 * Feed sign-in against real PDSes and a real keychain: tokens go to the keychain only, a refused
 * password stores nothing, several accounts can be signed in, sign-out removes what it should.
 * Run inside scripts/with-keyring.sh.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { AtpAgent } from '@atproto/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FeedIdentity } from '../src/core/feed/identity.ts';
import { FeedSessions } from '../src/core/feed/sessions.ts';
import { KeyringSecretStore } from '../src/core/secrets/index.ts';
import { HearthError } from '../src/shared/errors.ts';
import { startFeedWorld, type FeedWorld, type WorldAccount } from './support/feed-world.ts';

let world: FeedWorld;
let alice: WorldAccount, bob: WorldAccount, carol: WorldAccount;

beforeAll(async () => {
  world = await startFeedWorld();
  [alice, bob, carol] = await Promise.all([world.account('one', 'alice'), world.account('one', 'bob'), world.account('two', 'carol')]);
  await alice.agent.follow(carol.did);
  await carol.agent.post({ text: 'carol: hello' });
}, 180_000);

afterAll(async () => {
  await world?.stop();
});

const failure = (promise: Promise<unknown>) => promise.then(() => { throw new Error('should have failed'); }, (e: unknown) => e as HearthError);

/** Every file under the data folder (the store, its WAL, job logs, accounts.json…), as bytes. */
function filesUnder(dir: string): { path: string; bytes: Buffer }[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((rel) => join(dir, rel))
    .filter((path) => statSync(path).isFile())
    .map((path) => ({ path, bytes: readFileSync(path) }));
}

const storeDir = (did: string) => join(world.dataDir, 'feed', 'accounts', did.replace(/[^a-zA-Z0-9._-]/g, '_'));

describe('feed sign-in', () => {
  it('refuses a wrong password clearly and stores nothing, in the keychain or the data folder', async () => {
    const err = await failure(world.call('feed.signIn', { identifier: bob.handle, password: 'not-bobs-password' }));
    expect(err).toBeInstanceOf(HearthError);
    expect(err).toMatchObject({ code: 'AUTH', message: `The server refused the password for @${bob.handle}.` });
    expect(err.hint).toMatch(/Nothing was stored/);
    expect(await world.secrets.list('feed.')).toEqual([]);
    expect(await world.call('feed.accounts', {})).toEqual([]);
    expect(existsSync(storeDir(bob.did))).toBe(false);
    for (const { path, bytes } of filesUnder(world.dataDir)) {
      expect(bytes.includes('not-bobs-password'), path).toBe(false);
      expect(bytes.includes(bob.did), path).toBe(false);
    }
  });

  it('says so when no server knows the handle', async () => {
    const err = await failure(world.call('feed.signIn', { identifier: 'nobody.one.test', password: 'whatever-password' }));
    expect(err).toMatchObject({ code: 'NOT_FOUND', message: 'Hearth could not find the account @nobody.one.test.' });
    const bad = await failure(world.call('feed.signIn', { identifier: 'not a handle', password: 'whatever-password' }));
    expect(bad.code).toBe('VALIDATION');
  });

  it('signs in several accounts (by handle or DID) with their tokens in the keychain only', async () => {
    const a = await world.call('feed.signIn', { identifier: `@${alice.handle.toUpperCase()}`, password: alice.password });
    expect(a).toMatchObject({ did: alice.did, handle: alice.handle, pdsUrl: world.pds.one.url });
    const c = await world.call('feed.signIn', { identifier: carol.did, password: carol.password });
    expect(c).toMatchObject({ did: carol.did, handle: carol.handle, pdsUrl: world.pds.two.url });
    const accounts = await world.call('feed.accounts', {});
    expect(accounts.map((x) => x.did).sort()).toEqual([alice.did, carol.did].sort());

    expect(await world.secrets.list('feed.')).toEqual([`feed.${alice.did}/access-jwt`, `feed.${alice.did}/refresh-jwt`, `feed.${carol.did}/access-jwt`, `feed.${carol.did}/refresh-jwt`].sort());
    const accessJwt = (await world.secrets.get(`feed.${alice.did}/access-jwt`))!;
    const refreshJwt = (await world.secrets.get(`feed.${alice.did}/refresh-jwt`))!;
    // What the keychain holds is a live session on alice's PDS.
    const agent = new AtpAgent({ service: world.pds.one.url });
    await agent.resumeSession({ did: alice.did, handle: alice.handle, accessJwt, refreshJwt, active: true });
    expect(agent.session?.did).toBe(alice.did);

    // A refresh runs (a job with a log), and still no token is anywhere in the data folder.
    const { jobId } = await world.call('feed.refresh', { did: alice.did });
    for (let job = await world.call('jobs.get', { id: jobId }); job.state === 'running'; job = await world.call('jobs.get', { id: jobId })) await new Promise((r) => setTimeout(r, 100));
    expect((await world.call('feed.following', { did: alice.did })).posts.map((p) => p.text)).toEqual(['carol: hello']);
    const tokens = [accessJwt, refreshJwt, (await world.secrets.get(`feed.${carol.did}/access-jwt`))!, (await world.secrets.get(`feed.${carol.did}/refresh-jwt`))!];
    const files = filesUnder(world.dataDir);
    expect(files.some((f) => f.path.endsWith('feed.sqlite'))).toBe(true);
    for (const { path, bytes } of files) {
      for (const token of tokens) expect(bytes.includes(token), path).toBe(false);
      expect(bytes.includes(alice.password), path).toBe(false);
    }
    // Nor in anything the window is sent.
    const sent = JSON.stringify([await world.call('feed.accounts', {}), await world.call('feed.status', { did: alice.did }), await world.call('jobs.get', { id: jobId })]);
    for (const token of tokens) expect(sent.includes(token)).toBe(false);
  });

  it('refreshes a session from the keychain and keeps the new tokens there, and only there', async () => {
    const before = { access: (await world.secrets.get(`feed.${alice.did}/access-jwt`))!, refresh: (await world.secrets.get(`feed.${alice.did}/refresh-jwt`))! };
    // The sessions of the running app, reached as the Feed's write actions will reach them.
    const identity = new FeedIdentity({ plcUrls: () => [world.plcUrl], managedPdsUrls: () => [world.pds.one.url, world.pds.two.url] });
    const sessions = await FeedSessions.open(join(world.dataDir, 'feed'), world.secrets, async () => identity);
    const agent = await sessions.agent(alice.did);
    const after = { access: (await world.secrets.get(`feed.${alice.did}/access-jwt`))!, refresh: (await world.secrets.get(`feed.${alice.did}/refresh-jwt`))! };
    expect(after.refresh).not.toBe(before.refresh);
    expect(after).toEqual({ access: agent.session!.accessJwt, refresh: agent.session!.refreshJwt });
    const check = new AtpAgent({ service: world.pds.one.url });
    await check.resumeSession({ did: alice.did, handle: alice.handle, accessJwt: after.access, refreshJwt: after.refresh, active: true });
    for (const { path, bytes } of filesUnder(world.dataDir)) {
      expect(bytes.includes(after.access), path).toBe(false);
      expect(bytes.includes(after.refresh), path).toBe(false);
    }
    // A session the keychain lost cannot be resumed: a clear AUTH error, no guessing.
    const lost = await FeedSessions.open(join(world.dataDir, 'feed'), new KeyringSecretStore({ service: `hearth-test-empty-${Date.now()}` }), async () => identity);
    expect(await failure(lost.agent(alice.did))).toMatchObject({ code: 'AUTH' });
  });

  it('runs a refresh as a job that can be cancelled, and the next one finishes the work', async () => {
    const settle = async (id: string) => {
      for (;;) {
        const job = await world.call('jobs.get', { id });
        if (job.state !== 'running') return job;
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    await carol.agent.post({ text: 'carol: second post' });
    const { jobId } = await world.call('feed.refresh', { did: alice.did });
    // Asking again while it runs hands back the same job rather than a second writer.
    expect((await world.call('feed.refresh', { did: alice.did })).jobId).toBe(jobId);
    expect(await world.call('jobs.cancel', { id: jobId })).toEqual({ cancelled: true });
    const cancelled = await settle(jobId);
    expect(cancelled).toMatchObject({ state: 'cancelled', error: { code: 'CANCELLED' } });
    expect(cancelled.log.map((l) => l.message)).toContain('Cancel requested');

    const again = await world.call('feed.refresh', { did: alice.did });
    const done = await settle(again.jobId);
    expect(done).toMatchObject({ state: 'succeeded', progress: 1, kind: 'feed.refresh', target: `@${alice.handle}` });
    expect(done.log.map((l) => l.message).join('\n')).toMatch(/2 account\(s\) read, 0 unreachable/);
    expect((await world.call('feed.following', { did: alice.did })).posts.map((p) => p.text)).toEqual(['carol: second post', 'carol: hello']);
  });

  it('signs out: the tokens go; the local feed stays unless asked to go too', async () => {
    await world.call('feed.signOut', { did: carol.did, deleteData: false });
    expect(await world.secrets.list(`feed.${carol.did}`)).toEqual([]);
    expect((await world.call('feed.accounts', {})).map((x) => x.did)).toEqual([alice.did]);
    expect(existsSync(storeDir(carol.did))).toBe(true);
    expect((await failure(world.call('feed.following', { did: carol.did }))).code).toBe('NOT_FOUND');

    await world.call('feed.signOut', { did: alice.did, deleteData: true });
    expect(await world.secrets.list('feed.')).toEqual([]);
    expect(await world.call('feed.accounts', {})).toEqual([]);
    expect(existsSync(storeDir(alice.did))).toBe(false);
    expect((await failure(world.call('feed.signOut', { did: alice.did, deleteData: true }))).code).toBe('NOT_FOUND');
  });
});
