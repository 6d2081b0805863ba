/**
 * Everything Hearth does to accounts on one PDS, through @atproto/api: admin calls authenticate
 * as `admin` (HTTP basic), public calls go without credentials. One request per step, no
 * retries: a refused password is reported once, never hammered.
 */
import { Agent, AtUri, lexToJson, type ComAtprotoAdminDefs, type ComAtprotoServerDefs } from '@atproto/api';
import type { AccountRow, AccountStatus, BlobInfo, InviteCode, RepoRecord } from '../../shared/contract/accounts.ts';
import { HearthError } from '../../shared/errors.ts';
import { explainPdsError } from './errors.ts';
import type { AdminCredentials } from './server-access.ts';

export interface PdsAdminOptions {
  pdsUrl: string;
  /** Used in messages ("The sandbox refused…"). */
  serverName: string;
  admin: AdminCredentials;
  /** How to reach the PDS (a server over SSH: its resolver and internal CA); default the global fetch. */
  fetch?: typeof globalThis.fetch;
  signal?: AbortSignal;
}

export interface ServerDescription {
  availableUserDomains: string[];
  inviteCodeRequired: boolean;
  did: string;
}

/** listRepos pages are at most this big (the PDS's own maximum). */
const REPOS_PAGE = 1000;
/**
 * DIDs per getAccountInfos request. Fewer, larger requests are much faster (measured on 10,000
 * accounts: 100 per request 1.06 s, 250 per request 0.44 s); 200 keeps the query string near
 * 9 KB, under the 16 KB of headers Node's HTTP server (the PDS) accepts.
 */
const INFOS_BATCH = 200;
const INFOS_CONCURRENCY = 4;
const RECORDS_PAGE = 50;
/** Each blob of a page is fetched to learn its size and type: keep pages small. */
const BLOBS_PAGE = 25;

export class PdsAdmin {
  readonly #admin: Agent;
  readonly #public: Agent;
  readonly #name: string;
  readonly #signal: AbortSignal | undefined;

  constructor(options: PdsAdminOptions) {
    const basic = Buffer.from(`${options.admin.username}:${options.admin.password}`).toString('base64');
    const fetchImpl = options.fetch ?? globalThis.fetch;
    this.#admin = new Agent({ service: options.pdsUrl, headers: { authorization: `Basic ${basic}` }, fetch: fetchImpl });
    this.#public = new Agent({ service: options.pdsUrl, fetch: fetchImpl });
    this.#name = options.serverName;
    this.#signal = options.signal;
  }

  /** Runs one PDS call, turning any failure into a HearthError that says what was being done. */
  async #do<T>(doing: string, fn: (opts: { signal?: AbortSignal }) => Promise<T>): Promise<T> {
    try {
      return await fn(this.#signal ? { signal: this.#signal } : {});
    } catch (err) {
      throw explainPdsError(err, doing, this.#name);
    }
  }

  async describe(): Promise<ServerDescription> {
    const { data } = await this.#do('read the server description', (o) => this.#public.com.atproto.server.describeServer(undefined, o));
    return { availableUserDomains: data.availableUserDomains, inviteCodeRequired: data.inviteCodeRequired ?? false, did: data.did };
  }

  /** Every account: listRepos page by page, then getAccountInfos in batches (the first alone). */
  async listAccounts(): Promise<{ accounts: AccountRow[]; pages: number }> {
    const repos: { did: string; status: AccountStatus }[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const { data } = await this.#do('list the accounts', (o) =>
        this.#public.com.atproto.sync.listRepos({ limit: REPOS_PAGE, ...(cursor ? { cursor } : {}) }, o),
      );
      pages++;
      for (const repo of data.repos) repos.push({ did: repo.did, status: repoStatus(repo.active, repo.status) });
      cursor = data.repos.length > 0 ? data.cursor : undefined;
    } while (cursor);

    const batches: string[][] = [];
    for (let i = 0; i < repos.length; i += INFOS_BATCH) batches.push(repos.slice(i, i + INFOS_BATCH).map((r) => r.did));
    const infos = new Map<string, ComAtprotoAdminDefs.AccountView>();
    const fetchBatch = async (dids: string[]) => {
      const { data } = await this.#do('read the accounts’ details', (o) => this.#admin.com.atproto.admin.getAccountInfos({ dids }, o));
      for (const info of data.infos) infos.set(info.did, info);
    };
    // The first batch alone: a refused password stops everything after one request.
    if (batches[0]) await fetchBatch(batches[0]);
    let next = 1;
    const worker = async () => {
      while (next < batches.length) {
        const batch = batches[next++]!;
        await fetchBatch(batch);
      }
    };
    await Promise.all(Array.from({ length: Math.min(INFOS_CONCURRENCY, batches.length - 1) }, worker));
    pages += batches.length;

    const accounts = repos.map(({ did, status }) => toRow(did, status, infos.get(did)));
    return { accounts, pages };
  }

  async accountInfo(did: string): Promise<ComAtprotoAdminDefs.AccountView> {
    const { data } = await this.#do('read the account', (o) => this.#admin.com.atproto.admin.getAccountInfo({ did }, o));
    return data;
  }

  async repoStatus(did: string): Promise<AccountStatus> {
    try {
      const { data } = await this.#public.com.atproto.sync.getRepoStatus({ did }, this.#signal ? { signal: this.#signal } : {});
      return repoStatus(data.active, data.status);
    } catch (err) {
      const explained = explainPdsError(err, 'read the account status', this.#name);
      if (explained.code === 'NOT_FOUND') return 'deleted';
      throw explained;
    }
  }

  /** The account as the table shows it, and the admin view it came from. */
  async account(did: string): Promise<{ row: AccountRow; info: ComAtprotoAdminDefs.AccountView }> {
    const [info, status] = await Promise.all([this.accountInfo(did), this.repoStatus(did)]);
    return { row: toRow(did, status, info), info };
  }

  async createAccount(input: { handle: string; email: string; password: string; inviteCode?: string }): Promise<{ did: string; handle: string }> {
    const { data } = await this.#do('create the account', (o) =>
      this.#public.com.atproto.server.createAccount(
        { handle: input.handle, email: input.email, password: input.password, ...(input.inviteCode ? { inviteCode: input.inviteCode } : {}) },
        o,
      ),
    );
    return { did: data.did, handle: data.handle };
  }

  async setTakedown(did: string, applied: boolean): Promise<void> {
    await this.#do(applied ? 'take the account down' : 'restore the account', (o) =>
      this.#admin.com.atproto.admin.updateSubjectStatus(
        {
          subject: { $type: 'com.atproto.admin.defs#repoRef', did },
          takedown: applied ? { applied: true, ref: `hearth-${Date.now()}` } : { applied: false },
        },
        o,
      ),
    );
  }

  async updatePassword(did: string, password: string): Promise<void> {
    await this.#do('set the password', (o) => this.#admin.com.atproto.admin.updateAccountPassword({ did, password }, o));
  }

  async updateHandle(did: string, handle: string): Promise<void> {
    await this.#do('change the handle', (o) => this.#admin.com.atproto.admin.updateAccountHandle({ did, handle }, o));
  }

  async updateEmail(did: string, email: string): Promise<void> {
    await this.#do('change the email', (o) => this.#admin.com.atproto.admin.updateAccountEmail({ account: did, email }, o));
  }

  async deleteAccount(did: string): Promise<void> {
    await this.#do('delete the account', (o) => this.#admin.com.atproto.admin.deleteAccount({ did }, o));
  }

  /** The DID a handle resolves to on this server, or null when it resolves to nothing. */
  async resolveHandle(handle: string): Promise<string | null> {
    try {
      const { data } = await this.#public.com.atproto.identity.resolveHandle({ handle }, this.#signal ? { signal: this.#signal } : {});
      return data.did;
    } catch (err) {
      const explained = explainPdsError(err, 'check the handle', this.#name);
      if (explained.code === 'VALIDATION' || explained.code === 'NOT_FOUND') return null;
      throw explained;
    }
  }

  async createInviteCodes(count: number, usesPerCode: number, forAccount?: string): Promise<string[]> {
    const { data } = await this.#do('make invite codes', (o) =>
      this.#admin.com.atproto.server.createInviteCodes(
        { codeCount: count, useCount: usesPerCode, ...(forAccount ? { forAccounts: [forAccount] } : {}) },
        o,
      ),
    );
    return data.codes.flatMap((c) => c.codes);
  }

  async listInviteCodes(max = 5000): Promise<ComAtprotoServerDefs.InviteCode[]> {
    const codes: ComAtprotoServerDefs.InviteCode[] = [];
    let cursor: string | undefined;
    do {
      const { data } = await this.#do('list the invite codes', (o) =>
        this.#admin.com.atproto.admin.getInviteCodes({ sort: 'recent', limit: 500, ...(cursor ? { cursor } : {}) }, o),
      );
      codes.push(...data.codes);
      cursor = data.codes.length > 0 ? data.cursor : undefined;
    } while (cursor && codes.length < max);
    return codes;
  }

  async disableInviteCodes(codes: string[]): Promise<void> {
    await this.#do('disable the invite codes', (o) => this.#admin.com.atproto.admin.disableInviteCodes({ codes }, o));
  }

  /** Handles of DIDs (for "used by"); unknown DIDs are left out. */
  async handlesOf(dids: string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (let i = 0; i < dids.length; i += INFOS_BATCH) {
      const { data } = await this.#do('read the accounts’ details', (o) =>
        this.#admin.com.atproto.admin.getAccountInfos({ dids: dids.slice(i, i + INFOS_BATCH) }, o),
      );
      for (const info of data.infos) out.set(info.did, info.handle);
    }
    return out;
  }

  /** The collections in a repo; empty when the repo cannot be read (e.g. taken down). */
  async collections(did: string): Promise<string[]> {
    try {
      const { data } = await this.#public.com.atproto.repo.describeRepo({ repo: did }, this.#signal ? { signal: this.#signal } : {});
      return data.collections;
    } catch {
      return [];
    }
  }

  async listRecords(did: string, collection: string, cursor?: string): Promise<{ records: RepoRecord[]; cursor: string | null }> {
    const { data } = await this.#do('list the records', (o) =>
      this.#public.com.atproto.repo.listRecords({ repo: did, collection, limit: RECORDS_PAGE, ...(cursor ? { cursor } : {}) }, o),
    );
    return {
      records: data.records.map((r) => ({ uri: r.uri, cid: r.cid, value: lexToJson(r.value) })),
      // A full page may have more after it; a short one is the last.
      cursor: data.records.length >= RECORDS_PAGE ? (data.cursor ?? null) : null,
    };
  }

  async getRecord(uri: string): Promise<RepoRecord> {
    let parsed: AtUri;
    try {
      parsed = new AtUri(uri);
    } catch {
      throw new HearthError('VALIDATION', 'That is not a record address (at://…).', 'Pick a record from the list.');
    }
    if (!parsed.collection || !parsed.rkey) throw new HearthError('VALIDATION', 'That address names no single record.', 'Pick a record from the list.');
    const { data } = await this.#do('read the record', (o) =>
      this.#public.com.atproto.repo.getRecord({ repo: parsed.host, collection: parsed.collection, rkey: parsed.rkey }, o),
    );
    return { uri: data.uri, cid: data.cid ?? '', value: lexToJson(data.value) };
  }

  /** One page of an account's blobs, each with its size and type (read from the blob itself). */
  async listBlobs(did: string, cursor?: string): Promise<{ blobs: BlobInfo[]; cursor: string | null }> {
    const { data } = await this.#do('list the blobs', (o) =>
      this.#public.com.atproto.sync.listBlobs({ did, limit: BLOBS_PAGE, ...(cursor ? { cursor } : {}) }, o),
    );
    const blobs = await Promise.all(
      data.cids.map(async (cid): Promise<BlobInfo> => {
        try {
          const blob = await this.#public.com.atproto.sync.getBlob({ did, cid }, this.#signal ? { signal: this.#signal } : {});
          return { cid, size: blob.data.byteLength, mimeType: blob.headers['content-type'] ?? null };
        } catch {
          return { cid, size: null, mimeType: null };
        }
      }),
    );
    return { blobs, cursor: data.cids.length >= BLOBS_PAGE ? (data.cursor ?? null) : null };
  }

  /** Asks one relay to crawl this PDS (hostname as the relay will reach it). */
  static async requestCrawl(relay: string, hostname: string, signal?: AbortSignal): Promise<void> {
    const agent = new Agent({ service: relay });
    await agent.com.atproto.sync.requestCrawl({ hostname }, signal ? { signal } : {});
  }
}

export function repoStatus(active: boolean | undefined, status: string | undefined): AccountStatus {
  if (active !== false) return 'active';
  switch (status) {
    case 'takendown':
      return 'takendown';
    case 'suspended':
      return 'suspended';
    case 'deactivated':
      return 'deactivated';
    case 'deleted':
      return 'deleted';
    default:
      return 'unknown';
  }
}

function toRow(did: string, status: AccountStatus, info: ComAtprotoAdminDefs.AccountView | undefined): AccountRow {
  return {
    did,
    handle: info?.handle ?? '',
    email: info?.email ?? null,
    emailConfirmed: !!info?.emailConfirmedAt,
    createdAt: info?.indexedAt ?? null,
    status: status === 'active' && info?.deactivatedAt ? 'deactivated' : status,
    invitesDisabled: info?.invitesDisabled ?? false,
    records: null,
    blobsBytes: null,
  };
}

export function toInviteCode(code: ComAtprotoServerDefs.InviteCode, handles: Map<string, string>): InviteCode {
  return {
    code: code.code,
    available: code.available,
    disabled: code.disabled,
    forAccount: code.forAccount,
    createdBy: code.createdBy,
    createdAt: code.createdAt,
    uses: code.uses.map((u) => ({ usedBy: u.usedBy, usedByHandle: handles.get(u.usedBy) ?? null, usedAt: u.usedAt })),
  };
}
