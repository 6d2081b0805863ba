/**
 * An account's identity as its PLC directory sees it: the DID document (through
 * @atproto/identity's resolver, pointed at the server's PLC) and the PLC audit log. Both are
 * server-supplied data: validated, and only ever shown as text.
 */
import { DidResolver } from '@atproto/identity';
import { z } from 'zod';
import type { PlcAuditEntry } from '../../shared/contract/accounts.ts';

const TIMEOUT_MS = 10_000;

const AuditLog = z
  .array(
    z.object({
      did: z.string(),
      cid: z.string(),
      createdAt: z.string(),
      nullified: z.boolean(),
      operation: z.record(z.string(), z.unknown()),
    }),
  )
  .max(10_000);

export interface IdentityView {
  didDocument: unknown;
  didDocumentProblem: string | null;
  auditLog: PlcAuditEntry[];
  auditLogProblem: string | null;
  rotationKeys: string[];
}

export async function readIdentity(did: string, plcUrl: string, signal?: AbortSignal): Promise<IdentityView> {
  const [doc, log] = await Promise.all([readDidDocument(did, plcUrl), did.startsWith('did:plc:') ? readAuditLog(did, plcUrl, signal) : null]);
  return {
    didDocument: doc.document,
    didDocumentProblem: doc.problem,
    auditLog: log?.entries ?? [],
    auditLogProblem: log ? log.problem : 'Only did:plc identities have a PLC audit log; this one is a did:web, kept on its own web server.',
    rotationKeys: log ? currentRotationKeys(log.entries) : [],
  };
}

export async function readDidDocument(did: string, plcUrl: string): Promise<{ document: unknown; problem: string | null }> {
  try {
    // The resolver's default fetch refuses plain http and loopback (SSRF protection), which is
    // right for the internet; a PLC on this computer (the sandbox) is reached with plain fetch.
    const local = ['localhost', '127.0.0.1', '[::1]'].includes(new URL(plcUrl).hostname);
    const resolver = new DidResolver({ plcUrl, timeout: TIMEOUT_MS, ...(local ? { fetch: globalThis.fetch } : {}) });
    const document = await resolver.resolveNoCache(did);
    if (!document) return { document: null, problem: `The identity directory at ${plcUrl} does not know this DID.` };
    return { document, problem: null };
  } catch (err) {
    return { document: null, problem: `Could not read the DID document from ${plcUrl}: ${short(err)}` };
  }
}

async function readAuditLog(did: string, plcUrl: string, signal?: AbortSignal): Promise<{ entries: PlcAuditEntry[]; problem: string | null }> {
  try {
    const timeout = AbortSignal.timeout(TIMEOUT_MS);
    const res = await fetch(`${plcUrl}/${encodeURIComponent(did)}/log/audit`, { signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
    if (!res.ok) return { entries: [], problem: `The identity directory at ${plcUrl} answered HTTP ${res.status} for the audit log.` };
    const parsed = AuditLog.safeParse(await res.json());
    if (!parsed.success) return { entries: [], problem: 'The identity directory sent an audit log Hearth cannot read.' };
    return {
      entries: parsed.data.map((e) => ({ cid: e.cid, createdAt: e.createdAt, nullified: e.nullified, operation: e.operation })),
      problem: null,
    };
  } catch (err) {
    return { entries: [], problem: `Could not read the audit log from ${plcUrl}: ${short(err)}` };
  }
}

/** Rotation keys in force: those of the latest operation that was not nullified. */
export function currentRotationKeys(entries: PlcAuditEntry[]): string[] {
  const latest = [...entries].reverse().find((e) => !e.nullified);
  const op = latest?.operation as { type?: unknown; rotationKeys?: unknown; recoveryKey?: unknown; signingKey?: unknown } | undefined;
  if (!op) return [];
  if (Array.isArray(op.rotationKeys)) return op.rotationKeys.filter((k): k is string => typeof k === 'string');
  // Legacy "create" operations: the recovery and signing keys could both rotate.
  return [op.recoveryKey, op.signingKey].filter((k): k is string => typeof k === 'string');
}

const short = (err: unknown) => (err instanceof Error ? err.message : String(err)).replace(/\s+/g, ' ').slice(0, 200);
