import type { EngineEvent } from '@pulumi/pulumi/automation/index.js';
import { describe, expect, it } from 'vitest';
import type { ResourceRow } from '../../shared/contract/cloud.ts';
import { EngineEventMapper } from './engine-events.ts';

// Events as the Pulumi CLI writes them to --event-log (one JSON object per line), in the
// documented shapes the Automation API hands to onEvent.
const DROPLET = 'urn:pulumi:srv::hearth::digitalocean:index/droplet:Droplet::pds-droplet';
const FIREWALL = 'urn:pulumi:srv::hearth::digitalocean:index/firewall:Firewall::pds-firewall';
const STACK = 'urn:pulumi:srv::hearth::pulumi:pulumi:Stack::hearth-srv';
const PROVIDER = 'urn:pulumi:srv::hearth::pulumi:providers:digitalocean::default_4_80_1';

const lines = [
  '{"sequence":0,"timestamp":1700000000,"preludeEvent":{"config":{"digitalocean:token":"[secret]"}}}',
  `{"sequence":1,"timestamp":1700000001,"resourcePreEvent":{"metadata":{"op":"create","urn":"${STACK}","type":"pulumi:pulumi:Stack","provider":""}}}`,
  `{"sequence":2,"timestamp":1700000001,"resourcePreEvent":{"metadata":{"op":"create","urn":"${PROVIDER}","type":"pulumi:providers:digitalocean","provider":""}}}`,
  `{"sequence":3,"timestamp":1700000002,"resourcePreEvent":{"metadata":{"op":"create","urn":"${DROPLET}","type":"digitalocean:index/droplet:Droplet","provider":"x"}}}`,
  `{"sequence":4,"timestamp":1700000040,"resOutputsEvent":{"metadata":{"op":"create","urn":"${DROPLET}","type":"digitalocean:index/droplet:Droplet","provider":"x"}}}`,
  `{"sequence":5,"timestamp":1700000041,"resourcePreEvent":{"metadata":{"op":"create","urn":"${FIREWALL}","type":"digitalocean:index/firewall:Firewall","provider":"x"}}}`,
  `{"sequence":6,"timestamp":1700000042,"diagnosticEvent":{"urn":"${FIREWALL}","prefix":"error: ","message":"\\u001b[31mError creating firewall: 422 invalid source address\\u001b[0m\\n","color":"raw","severity":"error"}}`,
  `{"sequence":7,"timestamp":1700000042,"diagnosticEvent":{"message":"progress…","color":"raw","severity":"info","ephemeral":true}}`,
  `{"sequence":8,"timestamp":1700000042,"resOpFailedEvent":{"metadata":{"op":"create","urn":"${FIREWALL}","type":"digitalocean:index/firewall:Firewall","provider":"x"},"status":1,"steps":1}}`,
  '{"sequence":9,"timestamp":1700000043,"summaryEvent":{"maybeCorrupt":true,"durationSeconds":43,"resourceChanges":{"create":1,"same":0},"PolicyPacks":{}}}',
  '{"sequence":10,"timestamp":1700000043,"cancelEvent":{}}',
];

describe('engine events to job progress', () => {
  it('maps each documented event kind to rows, progress and readable log lines', () => {
    const progress: [number, string][] = [];
    const logs: [string, string | undefined][] = [];
    let rows: ResourceRow[] = [];
    const mapper = new EngineEventMapper({ progress: (f, s) => progress.push([f, s]), log: (m, l) => logs.push([m, l]), rows: (r) => (rows = r) }, 2);
    for (const line of lines) mapper.handle(JSON.parse(line) as EngineEvent);

    // One row per user resource: no stack, no provider.
    expect(rows.map((r) => [r.name, r.kind, r.op, r.state])).toEqual([
      ['pds-droplet', 'Droplet (the server)', 'create', 'done'],
      ['pds-firewall', 'Firewall', 'create', 'failed'],
    ]);
    expect(progress[0]).toEqual([0, 'Planning the changes']);
    // Half of the two expected changes done after the droplet.
    expect(progress.find(([, s]) => s === 'Created droplet (the server)')?.[0]).toBe(0.5);
    expect(logs).toContainEqual(['Creating droplet (the server) pds-droplet…', undefined]);
    expect(logs).toContainEqual(['pds-firewall: Error creating firewall: 422 invalid source address', 'error']);
    expect(logs.some(([m]) => m.includes('progress…'))).toBe(false);
    expect(logs).toContainEqual(['The engine finished in 43 s: 1 create. Some resources may be in an unknown state: run Refresh.', 'warn']);
    expect(mapper.failures[0]).toBe('pds-firewall: Error creating firewall: 422 invalid source address');
    expect(mapper.cancelled).toBe(true);
  });
});
