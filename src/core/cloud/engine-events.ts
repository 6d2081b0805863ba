import type { EngineEvent } from '@pulumi/pulumi/automation/index.js';
import type { ResourceOp, ResourceRow } from '../../shared/contract/cloud.ts';

/** What people call each resource type the program makes. */
const KIND: Record<string, string> = {
  'digitalocean:index/droplet:Droplet': 'Droplet (the server)',
  'digitalocean:index/reservedIp:ReservedIp': 'Reserved IP address',
  'digitalocean:index/reservedIpAssignment:ReservedIpAssignment': 'Reserved IP assigned to the droplet',
  'digitalocean:index/firewall:Firewall': 'Firewall',
  'digitalocean:index/dnsRecord:DnsRecord': 'DNS record',
  'digitalocean:index/spacesBucket:SpacesBucket': 'Private Spaces bucket (backups)',
  'digitalocean:index/spacesKey:SpacesKey': 'Spaces key for this bucket only',
};

export const kindOf = (type: string): string => KIND[type] ?? type;

/** The kind inside a sentence: "Creating reserved IP address". */
export const lowerKind = (type: string): string => {
  const kind = kindOf(type);
  return kind.charAt(0).toLowerCase() + kind.slice(1);
};

/** Plans list resources in this order (the engine's order depends on timing). */
export const kindRank = (type: string): number => {
  const i = Object.keys(KIND).indexOf(type);
  return i === -1 ? 99 : i;
};

/** Resources people care about: not the stack itself nor the provider plumbing. */
export const isUserResource = (type: string): boolean => type !== 'pulumi:pulumi:Stack' && !type.startsWith('pulumi:providers:');

export const nameOfUrn = (urn: string): string => urn.split('::').pop() ?? urn;

/** Engine step ops folded into the four a plan shows. */
export function planOp(op: string): ResourceOp | null {
  switch (op) {
    case 'create':
    case 'import':
      return 'create';
    case 'update':
      return 'update';
    case 'replace':
    case 'create-replacement':
    case 'delete-replaced':
    case 'import-replacement':
      return 'replace';
    case 'delete':
      return 'delete';
    case 'same':
    case 'read':
    case 'refresh':
      return 'same';
    default:
      return null;
  }
}

const VERB: Record<ResourceOp, [string, string]> = {
  create: ['Creating', 'Created'],
  update: ['Updating', 'Updated'],
  replace: ['Replacing', 'Replaced'],
  delete: ['Deleting', 'Deleted'],
  same: ['Checking', 'Unchanged'],
};

export interface EventSink {
  progress(fraction: number, step: string): void;
  log(message: string, level?: 'info' | 'warn' | 'error'): void;
  rows(rows: ResourceRow[]): void;
}

/**
 * Turns the engine's event stream (the documented `--event-log` EngineEvent shapes) into what a
 * job shows: one row per resource with its state, a progress fraction over the resources the plan
 * expects to change, and readable log lines. Diagnostics are logged as the engine worded them.
 */
export class EngineEventMapper {
  readonly #sink: EventSink;
  readonly #rows = new Map<string, ResourceRow>();
  readonly #expected: number;
  #finished = 0;
  cancelled = false;
  summary: Record<string, number> | null = null;
  failures: string[] = [];

  /** `expected`: how many resources the preview said would change (0: unknown). */
  constructor(sink: EventSink, expected = 0, initial: ResourceRow[] = []) {
    this.#sink = sink;
    this.#expected = expected;
    for (const row of initial) this.#rows.set(row.urn, { ...row });
  }

  rows(): ResourceRow[] {
    return [...this.#rows.values()];
  }

  handle(event: EngineEvent): void {
    if (event.preludeEvent) {
      this.#sink.log('The Pulumi engine started.');
      this.#sink.progress(0, 'Planning the changes');
    } else if (event.resourcePreEvent) {
      const meta = event.resourcePreEvent.metadata;
      const op = planOp(meta.op);
      if (!op || !isUserResource(meta.type)) return;
      const name = nameOfUrn(meta.urn);
      const row = this.#row(meta.urn, meta.type, op);
      row.state = 'running';
      if (op !== 'same') this.#sink.log(`${VERB[op][0]} ${lowerKind(meta.type)} ${name}…`);
      this.#publish(`${VERB[op][0]} ${lowerKind(meta.type)}`);
    } else if (event.resOutputsEvent) {
      const meta = event.resOutputsEvent.metadata;
      const op = planOp(meta.op);
      if (!op || !isUserResource(meta.type)) return;
      const row = this.#row(meta.urn, meta.type, op);
      if (row.state !== 'done') {
        row.state = 'done';
        if (op !== 'same') this.#finished++;
      }
      if (op !== 'same') this.#sink.log(`${VERB[op][1]} ${lowerKind(meta.type)} ${nameOfUrn(meta.urn)}.`);
      this.#publish(`${VERB[op][1]} ${lowerKind(meta.type)}`);
    } else if (event.resOpFailedEvent) {
      const meta = event.resOpFailedEvent.metadata;
      if (!isUserResource(meta.type)) return;
      const row = this.#row(meta.urn, meta.type, planOp(meta.op) ?? 'update');
      row.state = 'failed';
      const line = `${kindOf(meta.type)} ${nameOfUrn(meta.urn)} failed.`;
      this.failures.push(line);
      this.#sink.log(line, 'error');
      this.#publish(`${kindOf(meta.type)} failed`);
    } else if (event.diagnosticEvent) {
      const d = event.diagnosticEvent;
      if (d.ephemeral) return;
      const message = stripAnsi(d.message).trim();
      if (!message) return;
      const level = d.severity === 'error' ? 'error' : d.severity === 'warning' ? 'warn' : 'info';
      const where = d.urn && isUserResource(d.urn.split('::')[2] ?? '') ? `${nameOfUrn(d.urn)}: ` : '';
      if (level === 'error') this.failures.push(`${where}${message}`);
      this.#sink.log(`${where}${message}`, level);
    } else if (event.summaryEvent) {
      const s = event.summaryEvent;
      this.summary = s.resourceChanges as Record<string, number>;
      const parts = Object.entries(s.resourceChanges)
        .filter(([op, n]) => op !== 'same' && n)
        .map(([op, n]) => `${n} ${op}`);
      this.#sink.log(
        `The engine finished in ${Math.round(s.durationSeconds)} s: ${parts.length ? parts.join(', ') : 'no changes'}.${s.maybeCorrupt ? ' Some resources may be in an unknown state: run Refresh.' : ''}`,
        s.maybeCorrupt ? 'warn' : 'info',
      );
    } else if (event.cancelEvent) {
      this.cancelled = true;
      this.#sink.log('The engine stopped.');
    }
  }

  #row(urn: string, type: string, op: ResourceOp): ResourceRow {
    let row = this.#rows.get(urn);
    if (!row) {
      row = { urn, name: nameOfUrn(urn), type, kind: kindOf(type), op, state: 'pending' };
      this.#rows.set(urn, row);
    } else if (op !== 'same') row.op = op;
    return row;
  }

  #publish(step: string): void {
    const changing = this.rows().filter((r) => r.op !== 'same').length;
    const total = Math.max(this.#expected, changing, 1);
    this.#sink.progress(Math.min(0.99, this.#finished / total), step);
    this.#sink.rows(this.rows());
  }
}

export function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;]*m/g, '').replace(/<\{%[^%]*%\}>/g, '');
}
