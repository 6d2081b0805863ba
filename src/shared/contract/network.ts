import { z } from 'zod';
import { Did } from './accounts.ts';
import { call } from './define.ts';
import { ServerId } from './servers.ts';

/**
 * "Are my posts reaching the network?" A server's view from outside: what each relay it asks to
 * crawl it knows of the host and of each account, and whether the AppView shows the accounts and
 * their newest posts. Every finding says in words what it means and what to do.
 */

/** A relay or AppView address: https, or http only for a loopback one (a local relay). */
const ServiceUrl = z.url({ protocol: /^https?$/, error: 'That is not a web address (https://…).' }).max(500);

export const NetworkFindingStatus = z.enum(['ok', 'warn', 'fail', 'unknown']);
export type NetworkFindingStatus = z.infer<typeof NetworkFindingStatus>;

export const NetworkFinding = z.object({
  /** relay-host, relay-seq, relay-repo, appview-profile, appview-post */
  check: z.enum(['relay-host', 'relay-seq', 'relay-repo', 'appview-profile', 'appview-post']),
  /** The relay or AppView asked. */
  source: z.string(),
  /** Set on per-account findings. */
  did: Did.nullable(),
  handle: z.string().nullable(),
  status: NetworkFindingStatus,
  /** One line, e.g. "bsky.network follows this server". */
  title: z.string(),
  detail: z.string(),
  /** What to do, in words; null when nothing needs doing. */
  fix: z.string().nullable(),
});
export type NetworkFinding = z.infer<typeof NetworkFinding>;

export const NetworkStatus = z.object({
  serverId: ServerId,
  hostname: z.string(),
  relays: z.array(z.string()),
  appView: z.string(),
  /** Accounts checked (the first ones when the server has many); `accountsTotal` says how many it has. */
  accountsChecked: z.number(),
  accountsTotal: z.number(),
  findings: z.array(NetworkFinding),
  checkedAt: z.string(),
});
export type NetworkStatus = z.infer<typeof NetworkStatus>;

export const networkCalls = {
  /**
   * Asks each relay (default: the server's crawlers) and the AppView (default Bluesky's public
   * one) about the server and its accounts. Read-only: nothing on the server changes.
   */
  'network.status': call(
    z
      .object({
        serverId: ServerId,
        relays: z.array(ServiceUrl).min(1).max(10).optional(),
        appView: ServiceUrl.optional(),
      })
      .strict(),
    NetworkStatus,
  ),
};
