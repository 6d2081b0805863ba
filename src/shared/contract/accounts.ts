import { z } from 'zod';
import { call } from './define.ts';
import { ServerId } from './servers.ts';

/**
 * Accounts and invite codes on one PDS. Core talks to the PDS as `admin` with the password from
 * the keychain; nothing here ever carries that password. Every string that comes from a server
 * (handles, emails, record values) is untrusted: the renderer shows it as text only.
 */

export const Did = z.string().regex(/^did:[a-z]+:[a-zA-Z0-9._:%-]{1,2000}$/, 'not a DID');

/** Syntax of a handle (atproto: dot-separated DNS labels, at least two, ASCII). */
export const Handle = z
  .string()
  .trim()
  .toLowerCase()
  .max(253, 'A handle is at most 253 characters.')
  .regex(
    /^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/,
    'A handle looks like name.example.com: letters, digits and hyphens, separated by dots.',
  );

export const Email = z.string().trim().max(320).email('That is not an email address.');

/** A password typed for an account; null means "let Hearth generate one". */
export const AccountPassword = z.string().max(256).nullable();

export const AccountStatus = z.enum(['active', 'takendown', 'suspended', 'deactivated', 'deleted', 'unknown']);
export type AccountStatus = z.infer<typeof AccountStatus>;

export const AccountRow = z.object({
  did: z.string(),
  handle: z.string(),
  email: z.string().nullable(),
  emailConfirmed: z.boolean(),
  /** When the PDS indexed the account (its creation time). */
  createdAt: z.string().nullable(),
  status: AccountStatus,
  invitesDisabled: z.boolean(),
  /** Filled in where the PDS tells it cheaply; null otherwise. */
  records: z.number().nullable(),
  blobsBytes: z.number().nullable(),
});
export type AccountRow = z.infer<typeof AccountRow>;

export const AccountList = z.object({
  accounts: z.array(AccountRow),
  /** listRepos pages and getAccountInfos batches it took. */
  pages: z.number(),
  fetchedAt: z.string(),
});
export type AccountList = z.infer<typeof AccountList>;

export const ServerAccountsInfo = z.object({
  serverId: ServerId,
  /** Domains handles may end in, e.g. [".example.com"]. */
  availableUserDomains: z.array(z.string()),
  inviteCodeRequired: z.boolean(),
  /** Relays this server asks to crawl it (PDS_CRAWLERS). */
  crawlers: z.array(z.string()),
  plcUrl: z.string(),
});
export type ServerAccountsInfo = z.infer<typeof ServerAccountsInfo>;

export const InviteUse = z.object({ usedBy: z.string(), usedByHandle: z.string().nullable(), usedAt: z.string() });
export const InviteCode = z.object({
  code: z.string(),
  /** How many accounts the code may create in all (uses so far are in `uses`). */
  available: z.number(),
  disabled: z.boolean(),
  forAccount: z.string(),
  createdBy: z.string(),
  createdAt: z.string(),
  uses: z.array(InviteUse),
});
export type InviteCode = z.infer<typeof InviteCode>;

export const PlcAuditEntry = z.object({
  cid: z.string(),
  createdAt: z.string(),
  nullified: z.boolean(),
  /** The signed operation, as JSON. */
  operation: z.unknown(),
});
export type PlcAuditEntry = z.infer<typeof PlcAuditEntry>;

export const AccountDetail = z.object({
  account: AccountRow,
  didDocument: z.unknown().nullable(),
  /** Why the DID document could not be read, in plain words. */
  didDocumentProblem: z.string().nullable(),
  auditLog: z.array(PlcAuditEntry),
  auditLogProblem: z.string().nullable(),
  /** did:key rotation keys of the latest PLC operation. */
  rotationKeys: z.array(z.string()),
  /** The server's own rotation key (from the keychain) when Hearth has it. */
  serverRotationKey: z.string().nullable(),
  /** false: the server's key is not among the DID's rotation keys (it cannot fix this identity). */
  serverKeyInRotation: z.boolean().nullable(),
  collections: z.array(z.string()),
  invitedBy: z.string().nullable(),
});
export type AccountDetail = z.infer<typeof AccountDetail>;

export const RepoRecord = z.object({ uri: z.string(), cid: z.string(), value: z.unknown() });
export type RepoRecord = z.infer<typeof RepoRecord>;

export const BlobInfo = z.object({ cid: z.string(), size: z.number().nullable(), mimeType: z.string().nullable() });
export type BlobInfo = z.infer<typeof BlobInfo>;

const OnServer = { serverId: ServerId };
const OnAccount = { serverId: ServerId, did: Did };
const Done = z.object({ ok: z.literal(true) });
const Cursor = z.string().max(500).optional();

export const accountsCalls = {
  /** Handle domains, invite policy and relays of a server. */
  'accounts.serverInfo': call(z.object(OnServer).strict(), ServerAccountsInfo),
  /** Every account on the server: listRepos (paged) + getAccountInfos (batched). */
  'accounts.list': call(z.object(OnServer).strict(), AccountList),
  /** Creates an account; a null password means "generate one" (returned once, to show). */
  'accounts.create': call(
    z
      .object({
        ...OnServer,
        handle: z.string().max(253),
        email: z.string().max(320),
        password: AccountPassword,
        inviteCode: z.string().max(100).optional(),
      })
      .strict(),
    z.object({ did: z.string(), handle: z.string(), generatedPassword: z.string().nullable(), inviteCodeUsed: z.string().nullable() }),
  ),
  'accounts.detail': call(z.object(OnAccount).strict(), AccountDetail),
  'accounts.takedown': call(z.object(OnAccount).strict(), Done),
  'accounts.restore': call(z.object(OnAccount).strict(), Done),
  /** Sets a new password; null means "generate one" (returned once, to show). */
  'accounts.resetPassword': call(z.object({ ...OnAccount, password: AccountPassword }).strict(), z.object({ generatedPassword: z.string().nullable() })),
  'accounts.changeHandle': call(z.object({ ...OnAccount, handle: z.string().max(253) }).strict(), z.object({ handle: z.string() })),
  'accounts.changeEmail': call(z.object({ ...OnAccount, email: z.string().max(320) }).strict(), Done),
  /** Deletes the account for good; confirmHandle must be the account's current handle. */
  'accounts.delete': call(z.object({ ...OnAccount, confirmHandle: z.string().max(253) }).strict(), Done),
  'accounts.listInvites': call(z.object(OnServer).strict(), z.array(InviteCode)),
  'accounts.createInvites': call(
    z
      .object({ ...OnServer, count: z.number().int().min(1).max(100), usesPerCode: z.number().int().min(1).max(1000), forAccount: Did.optional() })
      .strict(),
    z.object({ codes: z.array(z.string()) }),
  ),
  'accounts.disableInvites': call(z.object({ ...OnServer, codes: z.array(z.string().max(100)).min(1).max(500) }).strict(), Done),
  /** Asks relays to crawl the server; default: the server's own crawler list. */
  'accounts.requestCrawl': call(
    z.object({ ...OnServer, relays: z.array(z.url()).max(20).optional() }).strict(),
    z.object({ results: z.array(z.object({ relay: z.string(), ok: z.boolean(), message: z.string() })) }),
  ),
  'accounts.listRecords': call(
    z.object({ ...OnAccount, collection: z.string().max(300), cursor: Cursor }).strict(),
    z.object({ records: z.array(RepoRecord), cursor: z.string().nullable() }),
  ),
  'accounts.getRecord': call(z.object({ ...OnServer, uri: z.string().max(1000) }).strict(), RepoRecord),
  'accounts.listBlobs': call(
    z.object({ ...OnAccount, cursor: Cursor }).strict(),
    z.object({ blobs: z.array(BlobInfo), cursor: z.string().nullable() }),
  ),
};
