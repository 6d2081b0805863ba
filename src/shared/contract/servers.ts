import { z } from 'zod';
import { call } from './define.ts';

export const ServerId = z.string().regex(/^[a-z0-9-]{1,64}$/, 'not a server id');

export const ServerKind = z.enum(['sandbox', 'ssh', 'digitalocean']);

export const Server = z.object({
  id: ServerId,
  name: z.string().min(1).max(100),
  kind: ServerKind,
  /** Public URL of the PDS, e.g. https://pds.example.com or http://localhost:2583 for the sandbox. */
  url: z.url(),
  createdAt: z.string(),
  /** The PLC directory its DIDs live in; absent means https://plc.directory (the sandbox has its own). */
  plcUrl: z.url().optional(),
});
export type Server = z.infer<typeof Server>;

export const HealthStatus = z.enum(['healthy', 'unhealthy', 'unreachable', 'stopped']);

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
