/**
 * After disaster recovery: does the PDS's hostname reach the new server yet, and does every DID
 * name that hostname as its PDS? The name is checked by asking https://<hostname>/.well-known/hearth-server
 * which server answers (Caddy on each server Hearth installed answers with a marker of its own),
 * so an old server still answering for the name is told apart from the new one.
 */
import { z } from 'zod';
import type { MoveStatus } from '../../shared/contract/backups.ts';
import type { Server } from '../../shared/contract/servers.ts';
import { HearthError } from '../../shared/errors.ts';
import { serverMarker } from '../hosts/install.ts';

const ListRepos = z.object({ cursor: z.string().optional(), repos: z.array(z.object({ did: z.string() })) });
const PdsService = z.object({ id: z.string(), type: z.string().optional(), serviceEndpoint: z.unknown() });
const DidDocument = z.object({ alsoKnownAs: z.array(z.string()).optional(), service: z.array(PdsService).optional() });

export interface MoveDeps {
  /** The servers Hearth knows (to name the one the hostname still reaches). */
  servers: Server[];
  /** fetch for the new server's public URL (Hearth's resolver, its internal CA when it has one). */
  publicFetch: typeof fetch;
  /** fetch and URL reaching the new server's PDS directly (an SSH tunnel). */
  direct: { fetch: typeof fetch; url: string };
  /** Resolves a DID to its document through the server's PLC directory. */
  resolveDid: (did: string) => Promise<{ document: unknown; problem: string | null }>;
  /** The new server's public address, for the records to create. */
  address: string;
  signal?: AbortSignal;
}

export async function moveStatus(server: Server, deps: MoveDeps): Promise<MoveStatus> {
  const hostname = server.install?.hostname;
  if (!hostname) throw new HearthError('VALIDATION', `${server.name} has no PDS installed.`, 'Restore a server onto it first.');
  const timeout = () => (deps.signal ? AbortSignal.any([deps.signal, AbortSignal.timeout(10_000)]) : AbortSignal.timeout(10_000));

  const marker = await deps
    .publicFetch(`${server.url.replace(/\/+$/, '')}/.well-known/hearth-server`, { signal: timeout() })
    .then(async (res) => (res.ok ? (await res.text()).trim() : null))
    .catch(() => null);
  const reachedServer = marker ? deps.servers.find((s) => serverMarker(s.id) === marker) : undefined;
  const reaches: MoveStatus['reaches'] = marker && marker === serverMarker(server.id) ? 'this' : marker ? 'other' : 'nothing';

  const dids: string[] = [];
  for (let cursor: string | undefined; ; ) {
    const res = await deps.direct.fetch(`${deps.direct.url}/xrpc/com.atproto.sync.listRepos?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { signal: timeout() });
    if (!res.ok) throw new HearthError('UNAVAILABLE', `The PDS on ${server.name} did not list its accounts (HTTP ${res.status}).`, 'Check that it runs (Servers → status), then check again.');
    const page = ListRepos.parse(await res.json());
    dids.push(...page.repos.map((r) => r.did));
    if (!page.cursor || page.repos.length === 0) break;
    cursor = page.cursor;
  }

  const results: MoveStatus['dids'] = [];
  for (const did of dids) {
    const { document, problem } = await deps.resolveDid(did);
    const doc = DidDocument.safeParse(document);
    const pds = doc.success ? doc.data.service?.find((s) => s.id === '#atproto_pds' || s.id === `${did}#atproto_pds`) : undefined;
    const endpoint = typeof pds?.serviceEndpoint === 'string' ? pds.serviceEndpoint : null;
    const handle = doc.success ? (doc.data.alsoKnownAs?.find((a) => a.startsWith('at://'))?.slice('at://'.length) ?? null) : null;
    const endpointHost = endpoint ? safeHostname(endpoint) : null;
    const ok = endpointHost === hostname && reaches === 'this';
    results.push({
      did,
      handle,
      endpoint,
      ok,
      problem: problem ?? (!endpoint ? 'The DID document names no PDS.' : endpointHost !== hostname ? `The DID names ${endpoint} as its PDS, not ${hostname}.` : ok ? null : `${hostname} does not reach this server yet.`),
    });
  }

  const done = reaches === 'this' && results.every((r) => r.ok);
  const message = done
    ? `${hostname} reaches ${server.name}, and ${results.length === 1 ? 'the account’s DID resolves' : `all ${results.length} accounts’ DIDs resolve`} to it. The move is finished: you can forget the old server.`
    : reaches === 'other'
      ? `${hostname} still reaches ${reachedServer ? reachedServer.name : 'another server'}. Change the two DNS records below (or move the reserved IP) to ${deps.address}; DNS changes can take a few minutes.`
      : reaches === 'nothing'
        ? `${hostname} does not reach any server over HTTPS yet. Point the two DNS records below at ${deps.address}; the certificate is issued once they do.`
        : `${hostname} reaches ${server.name}, but ${results.filter((r) => !r.ok).length} of ${results.length} DIDs name another PDS; see each one below.`;
  return {
    serverId: server.id,
    hostname,
    address: deps.address,
    records: [
      { type: 'A', name: hostname, value: deps.address },
      { type: 'A', name: `*.${hostname}`, value: deps.address },
    ],
    reaches,
    reachedName: reaches === 'this' ? server.name : (reachedServer?.name ?? null),
    dids: results,
    done,
    message,
  };
}

function safeHostname(url: string): string | null {
  try {
    return new URL(url).hostname.toLowerCase();
  } catch {
    return null;
  }
}
