/**
 * Signed-in feed accounts. The session tokens (access and refresh JWT) live in the OS keychain
 * only, one entry each (`feed.<did>/access-jwt`, `feed.<did>/refresh-jwt`), so the store registers
 * each token with the redactor on its own; they never reach the data folder, a log, a job or the
 * window. The data folder keeps only the non-secret list of accounts (feed/accounts.json).
 */
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { AtpAgent, AtpSessionData, XRPCError as XRPCErrorClass } from '@atproto/api';
import { z } from 'zod';
import { FeedAccount } from '../../shared/contract/feed.ts';
import { HearthError } from '../../shared/errors.ts';
import { writeFileAtomic } from '../fs/atomic-write.ts';
import { FEED_ACCESS_JWT, FEED_REFRESH_JWT, feedSessionAccount } from '../secrets/names.ts';
import type { SecretStore } from '../secrets/index.ts';
import type { FeedIdentity } from './identity.ts';

const AccountsFile = z.object({ version: z.literal(1), accounts: z.array(FeedAccount) });

export class FeedSessions {
  readonly #file: string;
  readonly #secrets: SecretStore;
  readonly #identity: () => Promise<FeedIdentity>;
  #accounts: FeedAccount[] = [];
  #chain: Promise<unknown> = Promise.resolve();

  private constructor(feedDir: string, secrets: SecretStore, identity: () => Promise<FeedIdentity>) {
    this.#file = join(feedDir, 'accounts.json');
    this.#secrets = secrets;
    this.#identity = identity;
  }

  /** identity: the resolver, loaded on first use (as @atproto/api is), so Hearth starts without them. */
  static async open(feedDir: string, secrets: SecretStore, identity: () => Promise<FeedIdentity>): Promise<FeedSessions> {
    const sessions = new FeedSessions(feedDir, secrets, identity);
    try {
      const parsed = AccountsFile.safeParse(JSON.parse(await readFile(sessions.#file, 'utf8')));
      if (parsed.success) sessions.#accounts = parsed.data.accounts;
    } catch {
      // No file yet (nobody signed in), or a torn one: the keychain still has the tokens, and
      // signing in again rewrites the list.
    }
    return sessions;
  }

  list(): FeedAccount[] {
    return this.#accounts.map((a) => ({ ...a }));
  }

  get(did: string): FeedAccount {
    const account = this.#accounts.find((a) => a.did === did);
    if (!account) throw new HearthError('NOT_FOUND', 'That account is not signed in to the feed.', 'Sign in on the Feed screen first.');
    return { ...account };
  }

  /**
   * createSession on the account's own PDS. Only when the PDS accepts does anything get stored:
   * a refused password leaves the keychain and the data folder as they were.
   */
  async signIn(identifier: string, password: string): Promise<FeedAccount> {
    const identity = await (await this.#identity()).resolveIdentifier(identifier);
    const { AtpAgent, XRPCError } = await import('@atproto/api');
    const agent = new AtpAgent({ service: identity.pdsUrl });
    let session: AtpSessionData;
    try {
      await agent.login({ identifier: identity.did, password });
      session = agent.session!;
    } catch (err) {
      throw signInError(err, identity.handle, XRPCError);
    }
    if (session.did !== identity.did) {
      throw new HearthError('AUTH', `The server at ${identity.pdsUrl} signed in a different account than @${identity.handle}.`, 'Hearth did not keep that session. Check the account’s identity.');
    }
    await this.#saveTokens(session);
    const account: FeedAccount = { did: session.did, handle: session.handle || identity.handle, pdsUrl: identity.pdsUrl, signedInAt: new Date().toISOString() };
    await this.#update((list) => [...list.filter((a) => a.did !== account.did), account]);
    return account;
  }

  async signOut(did: string): Promise<void> {
    this.get(did);
    await this.#secrets.delete(feedSessionAccount(did, FEED_ACCESS_JWT));
    await this.#secrets.delete(feedSessionAccount(did, FEED_REFRESH_JWT));
    await this.#update((list) => list.filter((a) => a.did !== did));
  }

  /**
   * An agent acting as the account, its session resumed from the keychain. Resuming refreshes the
   * session (AtpAgent does, and the PDS rotates the refresh token), so the new pair is in the
   * keychain before the agent is handed out; a refresh later on (an access token expiring during a
   * call) is saved the same way.
   */
  async agent(did: string): Promise<AtpAgent> {
    const account = this.get(did);
    const [accessJwt, refreshJwt] = await Promise.all([
      this.#secrets.get(feedSessionAccount(did, FEED_ACCESS_JWT)),
      this.#secrets.get(feedSessionAccount(did, FEED_REFRESH_JWT)),
    ]);
    if (!accessJwt || !refreshJwt) throw new HearthError('AUTH', `The session of @${account.handle} is no longer in the keychain.`, 'Sign in again on the Feed screen.');
    const { AtpAgent, XRPCError } = await import('@atproto/api');
    let resumed = false;
    const agent = new AtpAgent({
      service: account.pdsUrl,
      persistSession: (event, session) => {
        if (resumed && event === 'update' && session) this.#saveTokens(session).catch(() => undefined);
      },
    });
    try {
      await agent.resumeSession({ did, handle: account.handle, accessJwt, refreshJwt, active: true });
    } catch (err) {
      if (err instanceof XRPCError && (err.status === 400 || err.status === 401)) {
        throw new HearthError('AUTH', `The session of @${account.handle} has ended (${err.error ?? 'refused'}).`, 'Sign in again on the Feed screen.');
      }
      throw new HearthError('NETWORK', `The server of @${account.handle} did not answer.`, 'Check the connection and try again.');
    }
    if (agent.session) await this.#saveTokens(agent.session);
    resumed = true;
    return agent;
  }

  async #saveTokens(session: AtpSessionData): Promise<void> {
    await this.#secrets.set(feedSessionAccount(session.did, FEED_ACCESS_JWT), session.accessJwt);
    await this.#secrets.set(feedSessionAccount(session.did, FEED_REFRESH_JWT), session.refreshJwt);
  }

  #update(change: (list: FeedAccount[]) => FeedAccount[]): Promise<void> {
    const next = this.#chain.then(async () => {
      const list = change(this.#accounts);
      await mkdir(dirname(this.#file), { recursive: true, mode: 0o700 });
      await writeFileAtomic(this.#file, `${JSON.stringify({ version: 1, accounts: list }, null, 2)}\n`);
      this.#accounts = list;
    });
    this.#chain = next.catch(() => undefined);
    return next;
  }
}

function signInError(err: unknown, handle: string, XRPCError: typeof XRPCErrorClass): HearthError {
  if (err instanceof XRPCError) {
    if (err.status === 401 || err.error === 'AuthenticationRequired') {
      return new HearthError('AUTH', `The server refused the password for @${handle}.`, 'Check the password (an app password works too) and try again. Nothing was stored.');
    }
    if (err.error === 'AuthFactorTokenRequired') {
      return new HearthError('AUTH', `@${handle} signs in with a code sent by email, which Hearth cannot ask for yet.`, 'Make an app password for Hearth in your Bluesky settings and sign in with it.');
    }
    if (err.error === 'AccountTakedown') return new HearthError('AUTH', `@${handle} is taken down on its server.`, 'Ask the server’s operator.');
    if (err.status === 429) return new HearthError('UNAVAILABLE', 'The server asks to slow down (too many sign-in attempts).', 'Wait a few minutes, then try again.');
    return new HearthError('NETWORK', `The server of @${handle} could not sign in: ${err.message.slice(0, 200)}`, 'Try again later.');
  }
  return new HearthError('NETWORK', `The server of @${handle} did not answer.`, 'Check the connection and that the server is up, then try again.');
}
