import { z } from 'zod';
import { call } from './define.ts';
import { JobId } from './jobs.ts';
import { ServerId, TlsMode } from './servers.ts';

/** A host name or IP address as a person types it (no scheme, no port). */
const HostAddress = z
  .string()
  .trim()
  .min(1, 'enter the server address')
  .max(253)
  .regex(/^[A-Za-z0-9.:-]+$/, 'an address is a name like vps.example.com or an IP address');

/** The public hostname of the PDS (what handles end with). */
const PdsHostname = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, 'a hostname looks like pds.example.com');

/**
 * pds.env variables whose values are secrets (the JWT secret, admin password, rotation key, an SMTP
 * address with its password, S3 keys, tokens): only their names may ever leave core.
 */
export const SECRET_BEARING = /SECRET|PASSWORD|PRIVATE_KEY|TOKEN|SMTP_URL|ACCESS_KEY/;

/**
 * The characters a pds.env value may hold: systemd (`EnvironmentFile=`), docker compose (`env_file`)
 * and a shell that sources the file (the official pdsadmin) all read such a value unquoted as the
 * same one value, and none of them runs or expands anything in it (see core/hosts/pds-env.ts).
 */
export const PDS_ENV_SAFE = /^[A-Za-z0-9._:/@%+=,-]*$/;

/** A name shown in Hearth (a server's): one line, no control characters (it reaches comments in server files). */
export const DisplayName = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .regex(/^[^\p{Cc}\p{Zl}\p{Zp}]*$/u, 'a name is one line of text, without control characters');

/** An address written into pds.env (the sender of the PDS's mail). */
const PdsEnvEmail = z.email().regex(PDS_ENV_SAFE, "use letters, digits and . _ % + - only (it is written into the server's pds.env)");

const Port = z.number().int().min(1).max(65535);

/** How a new PDS is served: TLS and ports (what hosts.install and disaster recovery both ask). */
export const WebSettings = {
  tlsMode: TlsMode.default('acme'),
  /** For certificate expiry mail from Let's Encrypt (ACME). */
  email: z.email().regex(/^[A-Za-z0-9._%+'@-]+$/, "use letters, digits and . _ % + ' - only (it is written into the server's Caddyfile)").optional(),
  /** Non-standard ports (a LAN box, tests); a public server uses 443 and 80. */
  httpsPort: Port.default(443),
  httpPort: Port.default(80),
  pdsPort: Port.default(3000),
  caddyAdminPort: Port.default(2019),
};

export const HostKeyPair = z.object({
  serverId: ServerId,
  /** One authorized_keys line. */
  publicKey: z.string(),
  /** The one command to run on the server to let Hearth in. */
  installCommand: z.string(),
});

export const PreflightCheck = z.object({
  id: z.enum(['os', 'arch', 'memory', 'disk', 'ports', 'privileges', 'dns']),
  label: z.string(),
  status: z.enum(['pass', 'warn', 'fail']),
  /** What Hearth found, in plain words. */
  detail: z.string(),
  /** What to do about it (empty when it passed). */
  fix: z.string(),
});
export type PreflightCheck = z.infer<typeof PreflightCheck>;

export const PreflightResult = z.object({
  ok: z.boolean(),
  checks: z.array(PreflightCheck),
});
export type PreflightResult = z.infer<typeof PreflightResult>;

export const HostMetricLevel = z.enum(['ok', 'warning', 'unknown']);

export const HostHealth = z.object({
  serverId: ServerId,
  checkedAt: z.string(),
  cpuPercent: z.number().nullable(),
  memoryPercent: z.number().nullable(),
  diskPercent: z.number().nullable(),
  services: z.array(z.object({ name: z.string(), active: z.boolean() })),
  certificateExpiresAt: z.string().nullable(),
  responseMs: z.number().nullable(),
  version: z.string().nullable(),
  warnings: z.array(z.string()),
});
export type HostHealth = z.infer<typeof HostHealth>;

export const hostsCalls = {
  /** Makes Hearth's key for a new server (private half in the keychain) and says how to install it. */
  'hosts.createKey': call(z.object({ name: DisplayName }).strict(), HostKeyPair),
  /**
   * Connects for the first time: pins the host key, and with a password (used once, never stored)
   * installs Hearth's key first. Adds the server to Hearth.
   */
  'hosts.connect': call(
    z
      .object({
        serverId: ServerId,
        name: DisplayName.optional(),
        host: HostAddress,
        port: Port.default(22),
        username: z.string().trim().regex(/^[a-z_][a-z0-9_.-]{0,31}$/, 'not a user name').default('root'),
        password: z.string().min(1).max(1024).optional(),
      })
      .strict(),
    z.object({ serverId: ServerId, hostKeyFingerprint: z.string() }),
  ),
  /** After a host key change: trust the new key the user was shown. */
  'hosts.retrust': call(z.object({ serverId: ServerId, fingerprint: z.string().regex(/^SHA256:[A-Za-z0-9+/]{43}$/) }).strict(), z.object({})),
  'hosts.preflight': call(
    z.object({ serverId: ServerId, hostname: PdsHostname, httpsPort: Port.default(443), httpPort: Port.default(80) }).strict(),
    PreflightResult,
  ),
  'hosts.install': call(
    z
      .object({
        serverId: ServerId,
        hostname: PdsHostname,
        ...WebSettings,
        /** The PLC directory; default https://plc.directory. */
        plcUrl: z.url({ protocol: /^https?$/ }).regex(PDS_ENV_SAFE, "a PLC address has letters, digits and . _ : / @ % + = , - only (it is written into the server's pds.env)").optional(),
        /**
         * Outgoing mail for sign-up and password-reset messages, e.g. smtps://user:pass@smtp.example.com:465
         * (587 or 2525 if 465 is blocked; most providers block 25). Holds a password: kept in the keychain.
         */
        // The password may hold anything but a line break (spaces, quotes, $ and ; included): core
        // percent-encodes it before it reaches pds.env (see core/hosts/pds-env.ts).
        smtpUrl: z.string().regex(/^smtps?:\/\/[^\r\n\0]+$/, 'a mail server address looks like smtps://user:password@smtp.example.com:465').optional(),
        emailFrom: PdsEnvEmail.optional(),
        /** The @atproto/pds version; default: the one this Hearth pins (a re-run keeps the installed one). */
        pdsVersion: z.string().regex(/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/).optional(),
      })
      .strict(),
    z.object({ jobId: JobId }),
  ),
  /** What already runs on the server: nothing, Hearth's install, or the official installer's. */
  'hosts.detect': call(
    z.object({ serverId: ServerId }).strict(),
    z.object({
      kind: z.enum(['none', 'native', 'official']),
      hostname: z.string().nullable(),
      /** Which secrets the server's pds.env holds (names only). */
      secretsOnServer: z.array(z.string()),
      /** pds.env without anything secret-bearing: a variable named like a secret can never carry a value out. */
      settings: z.record(
        z.string().refine((name) => !SECRET_BEARING.test(name), 'a secret-bearing variable cannot leave core'),
        z.string(),
      ),
      /** Names of the secret-bearing variables on the server (names only). */
      secretSettings: z.array(z.string()),
      /** Settings (NAME=value, constants) today's official installer writes that this pds.env lacks. */
      missingSettings: z.array(z.string().regex(/^[A-Z0-9_]+=[A-Za-z0-9._:/-]*$/)),
    }),
  ),
  /** Manages an existing install as it is; importSecrets (the user's consent) copies its secrets into the keychain. */
  'hosts.adopt': call(
    z.object({ serverId: ServerId, importSecrets: z.boolean() }).strict(),
    z.object({ hostname: z.string(), imported: z.array(z.string()) }),
  ),
  /** The PDS version on the server and the newest one published. */
  'hosts.versions': call(z.object({ serverId: ServerId }).strict(), z.object({ installed: z.string().nullable(), latest: z.string() })),
  /** Snapshot → install → restart → health check; rolls back automatically on failure. */
  'hosts.upgrade': call(z.object({ serverId: ServerId, version: z.string().regex(/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/) }).strict(), z.object({ jobId: JobId })),
  /** Sends one message through the PDS's mail settings, from the server. */
  'hosts.testEmail': call(z.object({ serverId: ServerId, to: z.email() }).strict(), z.object({ response: z.string() })),
  /** The PDS through its own runtime: service status, restart, or the last log lines. */
  'hosts.runtime': call(z.object({ serverId: ServerId, action: z.enum(['status', 'restart', 'logs']) }).strict(), z.object({ output: z.string() })),
  'hosts.health': call(z.object({ serverId: ServerId }).strict(), HostHealth),
  /** Removes the server from Hearth; its keychain entries stay unless deleteSecrets. */
  'hosts.forget': call(z.object({ serverId: ServerId, deleteSecrets: z.boolean().default(false) }).strict(), z.object({})),
};
