import { z } from 'zod';
import { call } from './define.ts';

export const ServerId = z.string().regex(/^[a-z0-9-]{1,64}$/, 'not a server id');

export const ServerKind = z.enum(['sandbox', 'ssh', 'digitalocean']);

export const SshConnection = z.object({
  host: z.string().min(1).max(253),
  port: z.number().int().min(1).max(65535),
  username: z.string().regex(/^[a-z_][a-z0-9_.-]{0,31}$/, 'not a user name'),
  /** The pinned host key as OpenSSH prints it ("SHA256:…"); null until the first connection. */
  hostKey: z.string().nullable(),
  /** Hearth's public key for this server (one authorized_keys line); the private half is in the keychain. */
  publicKey: z.string(),
});
export type SshConnection = z.infer<typeof SshConnection>;

export const TlsMode = z.enum(['acme', 'internal']);

export const PdsInstall = z.object({
  /** native: Node + @atproto/pds under systemd (Hearth's install); official: the official docker-compose install, adopted. */
  runtime: z.enum(['native', 'official']),
  hostname: z.string(),
  tlsMode: TlsMode,
  pdsVersion: z.string().nullable(),
  httpsPort: z.number().int(),
  pdsPort: z.number().int(),
  installedAt: z.string(),
});
export type PdsInstall = z.infer<typeof PdsInstall>;

export const Server = z.object({
  id: ServerId,
  name: z.string().min(1).max(100),
  kind: ServerKind,
  /** Public URL of the PDS, e.g. https://pds.example.com or http://localhost:2583 for the sandbox. */
  url: z.url(),
  createdAt: z.string(),
  /** The PLC directory its DIDs live in; absent means https://plc.directory (the sandbox has its own). */
  plcUrl: z.url().optional(),
  /** How Hearth reaches it over SSH (servers you connect, droplets). No secrets: the key is in the keychain. */
  ssh: SshConnection.optional(),
  /** What Hearth installed (or adopted) on it over SSH. */
  install: PdsInstall.optional(),
  /** Disaster recovery put the PDS of this server here; its name may still point there. */
  recoveredFrom: z.object({ serverId: ServerId, name: z.string(), at: z.string() }).optional(),
});
export type Server = z.infer<typeof Server>;

export const HealthStatus = z.enum(['healthy', 'unhealthy', 'unreachable', 'stopped']);

/** The server's backups as health sees them; absent or null when no backup target is set up. */
export const BackupHealth = z.object({
  /** True when the most recent backup run failed. */
  failing: z.boolean(),
  lastSuccessAt: z.string().nullable(),
  lastError: z.object({ at: z.string(), message: z.string() }).nullable(),
  /** Plain words when the backup status could not be read (the server did not answer…); else null. */
  problem: z.string().nullable(),
});
export type BackupHealth = z.infer<typeof BackupHealth>;

export const ServerHealth = z.object({
  serverId: ServerId,
  status: HealthStatus,
  /** The PDS version from /xrpc/_health, when it answered. */
  version: z.string().nullable(),
  responseMs: z.number().nullable(),
  did: z.string().nullable(),
  availableUserDomains: z.array(z.string()),
  inviteCodeRequired: z.boolean().nullable(),
  checkedAt: z.string(),
  /** Plain words when not healthy. */
  message: z.string(),
  backup: BackupHealth.nullable().optional(),
});
export type ServerHealth = z.infer<typeof ServerHealth>;

export const serversCalls = {
  'servers.list': call(z.object({}).strict(), z.array(Server)),
  'servers.health': call(z.object({ serverId: ServerId }).strict(), ServerHealth),
};

export const serversEvents = {
  /** The list of servers changed (added, removed, renamed). */
  'servers.changed': z.object({}),
};
