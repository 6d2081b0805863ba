/**
 * Who an account is and where its repo lives: handle → DID → PDS, through @atproto/identity
 * (did:plc from a PLC directory, did:web from its web server), cached in memory.
 *
 * A DID can live in the public PLC directory or in the PLC of a server Hearth manages (the
 * sandbox, a test network): each known directory is asked in turn, the servers' own first. A
 * handle is resolved the atproto way (DNS TXT, then https well-known) and, failing that, by asking
 * the PDSes Hearth manages; either way the answer is accepted only when the DID document names the
 * handle back (bidirectional check), so no server can claim someone else's handle.
 */
import { DidResolver, getKey, HandleResolver, MemoryCache, type DidDocument } from '@atproto/identity';
import { HearthError } from '../../shared/errors.ts';

const TIMEOUT_MS = 5_000;
/** DID documents change rarely (a move, a new handle); an hour keeps a refresh cheap. */
const DID_CACHE_STALE_MS = 60 * 60_000;
const DID_CACHE_MAX_MS = 24 * 60 * 60_000;

export interface ResolvedIdentity {
  did: string;
  /** "handle.invalid" when the document names none. */
  handle: string;
  pdsUrl: string;
}

export interface IdentitySources {
  /** PLC directories to ask for a did:plc, in order (servers Hearth manages first, then the public one). */
  plcUrls(): string[];
  /** PDSes Hearth manages, asked for a handle the network cannot resolve. */
  managedPdsUrls(): string[];
}

const isLocal = (url: string) => {
  try {
    return ['localhost', '127.0.0.1', '[::1]'].includes(new URL(url).hostname);
  } catch {
    return false;
  }
};

export class FeedIdentity {
  readonly #sources: IdentitySources;
  readonly #cache = new MemoryCache(DID_CACHE_STALE_MS, DID_CACHE_MAX_MS);
  readonly #resolvers = new Map<string, DidResolver>();
  readonly #handles = new HandleResolver({ timeout: TIMEOUT_MS });
  readonly #fetch: typeof globalThis.fetch;

  constructor(sources: IdentitySources, fetchImpl: typeof globalThis.fetch = globalThis.fetch) {
    this.#sources = sources;
    this.#fetch = fetchImpl;
  }

  /** A handle or DID as typed into "Sign in" → the account's identity. */
  async resolveIdentifier(identifier: string): Promise<ResolvedIdentity> {
    const typed = identifier.trim().replace(/^@/, '');
    if (typed.startsWith('did:')) return this.resolveDid(typed);
    const handle = typed.toLowerCase();
    if (!/^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/.test(handle)) {
      throw new HearthError('VALIDATION', 'That is not a handle or a DID.', 'Type a handle like alice.bsky.social, or a DID like did:plc:….');
    }
    const identity = await this.#resolveHandle(handle);
    if (identity) return identity;
    throw new HearthError('NOT_FOUND', `Hearth could not find the account @${handle}.`, 'Check the handle for typos, or sign in with the account’s DID.');
  }

  /** A DID → its handle and PDS; throws NOT_FOUND/NETWORK in words. */
  async resolveDid(did: string, forceRefresh = false): Promise<ResolvedIdentity> {
    const doc = await this.#document(did, forceRefresh);
    const pdsUrl = pdsEndpoint(doc);
    if (!pdsUrl) throw new HearthError('NOT_FOUND', `The identity ${did} names no PDS.`, 'The account may have been deleted or be moving between servers.');
    return { did, handle: handleOf(doc) ?? 'handle.invalid', pdsUrl };
  }

  /** The account's atproto signing key (did:key), to verify its commits on a firehose. */
  async signingKey(did: string, forceRefresh = false): Promise<string> {
    const key = getKey(await this.#document(did, forceRefresh));
    if (!key) throw new HearthError('NOT_FOUND', `The identity ${did} names no signing key.`, 'The account may have been deleted or be moving between servers.');
    return key;
  }

  async #document(did: string, forceRefresh: boolean): Promise<DidDocument> {
    const plcUrls = did.startsWith('did:plc:') ? this.#sources.plcUrls() : [this.#sources.plcUrls()[0] ?? 'https://plc.directory'];
    const problems: string[] = [];
    for (const plcUrl of plcUrls) {
      try {
        const doc = await this.#resolver(plcUrl).resolve(did, forceRefresh);
        if (doc) return doc;
      } catch (err) {
        problems.push(`${did.startsWith('did:plc:') ? plcUrl : 'its web server'}: ${short(err)}`);
      }
    }
    if (problems.length === plcUrls.length && problems.length > 0) {
      throw new HearthError('NETWORK', `Hearth could not read the identity ${did} (${problems.join('; ')}).`, 'Check the connection and try again.');
    }
    throw new HearthError('NOT_FOUND', `No identity directory Hearth knows has ${did}.`, 'Check the DID, or add the server it lives on.');
  }

  #resolver(plcUrl: string): DidResolver {
    let resolver = this.#resolvers.get(plcUrl);
    if (!resolver) {
      // The resolver's default fetch refuses plain http and loopback (SSRF protection), right for
      // the internet; a directory on this computer (the sandbox) is reached with plain fetch.
      resolver = new DidResolver({ plcUrl, timeout: TIMEOUT_MS, didCache: this.#cache, ...(isLocal(plcUrl) ? { fetch: this.#fetch } : {}) });
      this.#resolvers.set(plcUrl, resolver);
    }
    return resolver;
  }

  /**
   * The first answer that checks out wins: the servers Hearth manages are asked at once (one slow
   * server does not hold up the others), then the network (DNS TXT, https well-known).
   */
  async #resolveHandle(handle: string): Promise<ResolvedIdentity | null> {
    const verified = async (did: string | null | undefined): Promise<ResolvedIdentity> => {
      if (!did) throw new Error('no answer');
      const identity = await this.resolveDid(did);
      if (identity.handle !== handle) throw new Error('the identity does not name this handle');
      return identity;
    };
    try {
      return await Promise.any(this.#sources.managedPdsUrls().map((url) => this.#askPds(url, handle).then(verified)));
    } catch {
      // None of Hearth's servers has it: ask the network.
    }
    return verified(await this.#handles.resolve(handle).catch(() => undefined)).catch(() => null);
  }

  async #askPds(pdsUrl: string, handle: string): Promise<string | null> {
    try {
      const res = await this.#fetch(`${pdsUrl}/xrpc/com.atproto.identity.resolveHandle?handle=${encodeURIComponent(handle)}`, { signal: AbortSignal.timeout(TIMEOUT_MS) });
      if (!res.ok) return null;
      const body = (await res.json()) as { did?: unknown };
      return typeof body.did === 'string' && body.did.startsWith('did:') && body.did.length < 2048 ? body.did : null;
    } catch {
      return null;
    }
  }
}

function pdsEndpoint(doc: DidDocument): string | null {
  const service = doc.service?.find((s) => s.id === '#atproto_pds' || s.id === `${doc.id}#atproto_pds`);
  const endpoint = typeof service?.serviceEndpoint === 'string' ? service.serviceEndpoint : null;
  if (!endpoint) return null;
  try {
    const url = new URL(endpoint);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
    return endpoint.replace(/\/+$/, '');
  } catch {
    return null;
  }
}

function handleOf(doc: DidDocument): string | null {
  const aka = doc.alsoKnownAs?.find((a) => a.startsWith('at://'));
  return aka ? aka.slice('at://'.length).toLowerCase() : null;
}

const short = (err: unknown) => (err instanceof Error ? err.message : String(err)).replace(/\s+/g, ' ').slice(0, 160);
