/**
 * Every keychain entry Hearth keeps, named once. Entries live under the keychain service "hearth";
 * most are per server, with the account `<serverId>/<name>` (see secretAccount), a few are global,
 * and feed sign-ins are per atproto account (`feed.<did>/<name>`).
 *
 * These strings are what is stored in people's keychains: changing one orphans the entry already
 * kept under the old name (for an SSH key or a repository password that can mean a lost server or
 * lost backups). Add names, never rename; test names.test.ts keeps them unique and keeps literal
 * names out of the rest of src/core.
 */

// The PDS's own secrets, one set per server (the sandbox's under "sandbox/"). They go into pds.env.

/** The PDS's PDS_JWT_SECRET: signs its session tokens. */
export const JWT_SECRET = 'jwt-secret';
/** The PDS's PDS_ADMIN_PASSWORD: its admin API (accounts, invites, takedowns). */
export const ADMIN_PASSWORD = 'admin-password';
/** The PDS's secp256k1 PLC rotation key (hex): controls every DID the PDS made. Never regenerated. */
export const PLC_ROTATION_KEY = 'plc-rotation-key';

/** Names of the secrets a PDS needs; one keychain entry each under "<serverId>/". */
export const PDS_SECRET_NAMES = [JWT_SECRET, ADMIN_PASSWORD, PLC_ROTATION_KEY] as const;
export type PdsSecretName = (typeof PDS_SECRET_NAMES)[number];

// Servers reached over SSH.

/** The private half (OpenSSH text) of Hearth's own SSH key for that server; the public half is in config. */
export const SSH_KEY_SECRET = 'ssh-key';
/**
 * Where DigitalOcean droplets kept that key before it was shared with the SSH installer. Only read,
 * to move it to SSH_KEY_SECRET once.
 */
export const LEGACY_SSH_KEY_SECRET = 'ssh-private-key';
/** The PDS's SMTP address (smtp(s)://user:password@host:port): it holds the mail password. */
export const SMTP_URL_SECRET = 'smtp-url';

// Backups.

/** The backup store's S3 secret access key (the key id is in backups.json). */
export const S3_SECRET = 'backup-s3-secret';
/** The restic repository password: without it no backup can be read, so it is never made anew. */
export const RESTIC_PASSWORD = 'restic-password';

// DigitalOcean servers.

/** The DigitalOcean API token the server was created with. */
export const DO_TOKEN_SECRET = 'do-token';
/** The passphrase Pulumi encrypts that server's stack state with. */
export const PULUMI_PASSPHRASE_SECRET = 'pulumi-passphrase';
/** Id of the full-access Spaces key Hearth makes to create the server's bucket. */
export const SPACES_ADMIN_KEY_ID_SECRET = 'spaces-admin-key-id';
/** Secret of that full-access Spaces key. */
export const SPACES_ADMIN_SECRET = 'spaces-admin-secret';
/** Secret of the bucket-scoped Spaces key the server's backups use. */
export const SPACES_SECRET_KEY_SECRET = 'spaces-secret-key';

/** Every per-server entry name (account `<serverId>/<name>`). */
export const SERVER_SECRET_NAMES = [
  ...PDS_SECRET_NAMES,
  SSH_KEY_SECRET,
  LEGACY_SSH_KEY_SECRET,
  SMTP_URL_SECRET,
  S3_SECRET,
  RESTIC_PASSWORD,
  DO_TOKEN_SECRET,
  PULUMI_PASSPHRASE_SECRET,
  SPACES_ADMIN_KEY_ID_SECRET,
  SPACES_ADMIN_SECRET,
  SPACES_SECRET_KEY_SECRET,
] as const;

// Global entries: whole accounts, under no server.

/** The DigitalOcean token the wizard checked, before a server exists to file it under. */
export const GLOBAL_TOKEN_ACCOUNT = 'digitalocean/token';
/**
 * The secret store's index of entry names (never values): the keychain has no portable "list".
 * The leading dot keeps it apart from every `<serverId>/<name>` account.
 */
export const INDEX_ACCOUNT = '.index';

/** Every global account. */
export const GLOBAL_ACCOUNTS = [GLOBAL_TOKEN_ACCOUNT, INDEX_ACCOUNT] as const;

// Feed sign-ins: per signed-in atproto account (by DID), not per server. The "feed." prefix cannot
// be a server id (those have no dots), so these never mix with `<serverId>/<name>` entries.

/** The session's access JWT (short-lived; refreshed with the refresh JWT). */
export const FEED_ACCESS_JWT = 'access-jwt';
/** The session's refresh JWT. */
export const FEED_REFRESH_JWT = 'refresh-jwt';
/** Every feed session entry name (account `feed.<did>/<name>`). */
export const FEED_SESSION_NAMES = [FEED_ACCESS_JWT, FEED_REFRESH_JWT] as const;
/** The keychain account of one feed session token: `feed.<did>/<name>`. */
export const feedSessionAccount = (did: string, name: typeof FEED_ACCESS_JWT | typeof FEED_REFRESH_JWT): string => `feed.${did}/${name}`;
