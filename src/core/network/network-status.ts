/**
 * Asks the network about one server: each relay (com.atproto.sync.getHostStatus for the host,
 * getRepoStatus for each account, compared with the server's own revisions and sequence), and the
 * AppView (app.bsky.actor.getProfile, app.bsky.feed.getPosts for each account's newest post).
 * Read-only everywhere; the questions run with bounded concurrency and a timeout each, so one
 * silent service makes its findings "unknown" and the rest still answer.
 */
import { Agent, XRPCError } from '@atproto/api';
import type { NetworkFinding, NetworkStatus } from '../../shared/contract/network.ts';
import { hostFinding, postFinding, profileFinding, repoFinding, sequenceFinding, type HostAnswer, type PostAnswer, type ProfileAnswer, type RepoAnswer } from './findings.ts';
import { probeSequence, type ProbeReach } from './sequence-probe.ts';

/** Bluesky's public, unauthenticated AppView (what its apps read). */
export const DEFAULT_APPVIEW = 'https://public.api.bsky.app';
/** Accounts asked about per check; a server with more is summarised by its first ones. */
export const MAX_ACCOUNTS = 25;
const ASK_TIMEOUT_MS = 10_000;
const CONCURRENCY = 6;

export interface NetworkTarget {
  serverId: string;
  pdsUrl: string;
  /** How to reach the server's own PDS (its resolver and internal CA); the global fetch otherwise. */
  pdsFetch?: typeof fetch;
  probe?: ProbeReach;
  relays: string[];
  appView: string;
  /** Active accounts on the server, in the order to check them. */
  accounts: { did: string; handle: string }[];
}

const said = (err: unknown): string => {
  // status 1 is @atproto/xrpc's "no response" (the request itself failed).
  if (err instanceof XRPCError && err.status >= 100) return `It answered ${err.status}: ${err.message.slice(0, 200)}`;
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) return `No answer within ${ASK_TIMEOUT_MS / 1000} s.`;
  return 'It could not be reached.';
};
const errorName = (err: unknown) => (err instanceof XRPCError ? err.error : undefined);
const opts = () => ({ signal: AbortSignal.timeout(ASK_TIMEOUT_MS) });

async function eachLimited<T, R>(items: T[], fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, items.length) }, worker));
  return out;
}

async function askHost(relay: Agent, hostname: string): Promise<HostAnswer> {
  try {
    const { data } = await relay.com.atproto.sync.getHostStatus({ hostname }, opts());
    return { kind: 'status', status: data.status, seq: data.seq, accountCount: data.accountCount };
  } catch (err) {
    if (errorName(err) === 'HostNotFound') return { kind: 'unknown-host' };
    return { kind: 'no-answer', message: said(err) };
  }
}

async function askRepo(relay: Agent, did: string): Promise<RepoAnswer> {
  try {
    const { data } = await relay.com.atproto.sync.getRepoStatus({ did }, opts());
    return { kind: 'status', active: data.active, status: data.status, rev: data.rev };
  } catch (err) {
    if (errorName(err) === 'RepoNotFound') return { kind: 'unknown-repo' };
    return { kind: 'no-answer', message: said(err) };
  }
}

async function askProfile(appView: Agent, did: string): Promise<ProfileAnswer> {
  try {
    const { data } = await appView.app.bsky.actor.getProfile({ actor: did }, opts());
    return { kind: 'found', handle: data.handle };
  } catch (err) {
    const name = errorName(err);
    if (name === 'AccountTakedown' || name === 'AccountDeactivated' || (err instanceof XRPCError && err.status === 400 && /not found/i.test(err.message))) return { kind: 'not-found' };
    return { kind: 'no-answer', message: said(err) };
  }
}

async function askNewestPost(pds: Agent, appView: Agent, did: string): Promise<PostAnswer> {
  let newest: { uri: string; createdAt: string | null } | undefined;
  try {
    const { data } = await pds.com.atproto.repo.listRecords({ repo: did, collection: 'app.bsky.feed.post', limit: 1 }, opts());
    const record = data.records[0];
    if (!record) return { kind: 'none' };
    const createdAt = (record.value as { createdAt?: unknown }).createdAt;
    newest = { uri: record.uri, createdAt: typeof createdAt === 'string' ? createdAt.slice(0, 40) : null };
  } catch (err) {
    return { kind: 'no-answer', message: `The server itself: ${said(err)}` };
  }
  try {
    const { data } = await appView.app.bsky.feed.getPosts({ uris: [newest.uri] }, opts());
    return data.posts.some((p) => p.uri === newest.uri) ? { kind: 'shown', uri: newest.uri } : { kind: 'missing', ...newest };
  } catch (err) {
    return { kind: 'no-answer', message: said(err) };
  }
}

async function serverRevs(pds: Agent, dids: string[]): Promise<Map<string, string | null>> {
  const revs = await eachLimited(dids, async (did) => {
    try {
      return (await pds.com.atproto.sync.getLatestCommit({ did }, opts())).data.rev;
    } catch {
      return null;
    }
  });
  return new Map(dids.map((did, i) => [did, revs[i] ?? null]));
}

export async function networkStatus(target: NetworkTarget, accountsTotal: number): Promise<NetworkStatus> {
  const hostname = new URL(target.pdsUrl).hostname;
  const pds = new Agent({ service: target.pdsUrl, ...(target.pdsFetch && { fetch: target.pdsFetch }) });
  const appView = new Agent({ service: target.appView });
  const accounts = target.accounts.slice(0, MAX_ACCOUNTS);
  const revs = await serverRevs(
    pds,
    accounts.map((a) => a.did),
  );

  const perRelay = await Promise.all(
    target.relays.map(async (relayUrl): Promise<NetworkFinding[]> => {
      const relay = new Agent({ service: relayUrl });
      const host = await askHost(relay, hostname);
      const found = [hostFinding(relayUrl, hostname, host)];
      if (host.kind === 'status' && host.seq != null) {
        found.push(sequenceFinding(relayUrl, host.seq, await probeSequence(target.pdsUrl, host.seq, target.probe)));
      }
      if (host.kind === 'no-answer') return found;
      const repos = await eachLimited(accounts, async (account) => repoFinding(relayUrl, account, revs.get(account.did) ?? null, await askRepo(relay, account.did)));
      return [...found, ...repos];
    }),
  );
  const fromAppView = await eachLimited(accounts, async (account) => [
    profileFinding(target.appView, account, await askProfile(appView, account.did)),
    postFinding(target.appView, account, await askNewestPost(pds, appView, account.did)),
  ]);

  return {
    serverId: target.serverId,
    hostname,
    relays: target.relays,
    appView: target.appView,
    accountsChecked: accounts.length,
    accountsTotal,
    findings: [...perRelay.flat(), ...fromAppView.flat()],
    checkedAt: new Date().toISOString(),
  };
}
