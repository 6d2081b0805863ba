import { z } from 'zod';
import type { ServerHealth } from '../../shared/contract/servers.ts';

/** Beyond this a PDS answers, but too slowly for its users (the infrastructure guide's threshold). */
export const SLOW_RESPONSE_MS = 500;
const TIMEOUT_MS = 5_000;

// Replies from a server are input like any other: validated before they are believed.
const HealthReply = z.object({ version: z.string().max(100) });
const DescribeReply = z.object({
  did: z.string().max(300),
  availableUserDomains: z.array(z.string().max(300)).max(100),
  inviteCodeRequired: z.boolean().optional(),
});

/**
 * Asks a PDS how it is: `/xrpc/_health` for liveness and version, `describeServer` for what it
 * offers. Never throws: an unreachable or confused server is a health state, not an error.
 */
export async function probeHealth(
  serverId: string,
  url: string,
  signal?: AbortSignal,
  /** For a server on its own CA or a name only Hearth resolves (hosts' serverFetch). */
  fetchImpl: typeof fetch = fetch,
): Promise<ServerHealth> {
  const base = url.replace(/\/+$/, '');
  const checkedAt = () => new Date().toISOString();
  const down = (status: ServerHealth['status'], message: string, responseMs: number | null = null): ServerHealth => ({
    serverId,
    status,
    version: null,
    responseMs,
    did: null,
    availableUserDomains: [],
    inviteCodeRequired: null,
    checkedAt: checkedAt(),
    message,
  });

  const started = performance.now();
  let health: z.infer<typeof HealthReply>;
  try {
    const res = await fetchImpl(`${base}/xrpc/_health`, { signal: withTimeout(signal) });
    const responseMs = Math.round(performance.now() - started);
    if (!res.ok) return down('unhealthy', `The PDS answered its health check with HTTP ${res.status}.`, responseMs);
    const parsed = HealthReply.safeParse(await res.json().catch(() => null));
    if (!parsed.success) return down('unhealthy', 'The server answered, but not like a PDS does.', responseMs);
    health = parsed.data;
  } catch {
    return down('unreachable', `No answer from ${base}. Check that the server is running and reachable.`);
  }
  const responseMs = Math.round(performance.now() - started);

  let describe: z.infer<typeof DescribeReply> | null = null;
  try {
    const res = await fetchImpl(`${base}/xrpc/com.atproto.server.describeServer`, { signal: withTimeout(signal) });
    const parsed = DescribeReply.safeParse(await res.json().catch(() => null));
    if (res.ok && parsed.success) describe = parsed.data;
  } catch {
    // Health answered; a failed describe is reported below as unhealthy.
  }

  const slow = responseMs > SLOW_RESPONSE_MS;
  return {
    serverId,
    status: describe && !slow ? 'healthy' : 'unhealthy',
    version: health.version,
    responseMs,
    did: describe?.did ?? null,
    availableUserDomains: describe?.availableUserDomains ?? [],
    inviteCodeRequired: describe?.inviteCodeRequired ?? null,
    checkedAt: checkedAt(),
    message: !describe
      ? 'The PDS is up but did not describe itself; it may still be starting.'
      : slow
        ? `The PDS answered in ${responseMs} ms (over ${SLOW_RESPONSE_MS} ms): it is overloaded or far away.`
        : '',
  };
}

function withTimeout(signal?: AbortSignal): AbortSignal {
  const timeout = AbortSignal.timeout(TIMEOUT_MS);
  return signal ? AbortSignal.any([signal, timeout]) : timeout;
}
