import * as pulumi from '@pulumi/pulumi';
import { beforeAll, describe, expect, it } from 'vitest';
import { cloudProgram, relativeRecordNames, type CloudPlan } from './program.ts';

// The Pulumi engine and DigitalOcean are unreachable here: the program runs under
// pulumi.runtime.setMocks, which records every resource the program registers with the inputs it
// passed, so these tests check exactly what would be asked of DigitalOcean.

interface Registered {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}
let registered: Registered[] = [];

beforeAll(async () => {
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        registered.push({ type: args.type, name: args.name, inputs: args.inputs });
        const state: Record<string, unknown> = { ...args.inputs };
        if (args.type === 'digitalocean:index/reservedIp:ReservedIp') state.ipAddress = '198.51.100.23';
        if (args.type === 'digitalocean:index/spacesKey:SpacesKey') {
          state.accessKey = 'DO00SCOPEDKEYID';
          state.secretKey = 'scoped-secret-from-do';
        }
        if (args.type === 'digitalocean:index/droplet:Droplet') state.ipv4Address = args.name.endsWith('-droplet') ? '192.0.2.10' : `192.0.2.${10 + Number(args.name.split('-').pop())}`;
        const dropletId = args.name.endsWith('-droplet') ? '4242' : `424${args.name.split('-').pop()}`;
        return { id: args.type === 'digitalocean:index/droplet:Droplet' ? dropletId : `${args.name}-id`, state };
      },
      call: (args) => args.inputs,
    },
    'hearth',
    'srv-test',
    false,
  );
});

const plan: CloudPlan = {
  name: 'pds-example',
  region: 'ams3',
  size: 's-1vcpu-2gb',
  image: 'ubuntu-24-04-x64',
  sshKeyFingerprint: '3b:16:bf:e4:8b:00:8b:b8:59:8c:a9:d3:f0:19:45:fa',
  sshFrom: '203.0.113.7',
  hostname: 'pds.example.com',
  dnsZone: 'example.com',
  bucketName: 'hearth-pds-example-3f9a',
};

const value = <T,>(output: pulumi.Output<T> | T): Promise<T> =>
  new Promise((resolve) => (pulumi.Output.isInstance(output) ? (output as pulumi.Output<T>).apply((v) => resolve(v)) : resolve(output as T)));

/** Waits until registrations stop arriving (they resolve asynchronously, after the program returns). */
async function settled() {
  for (let seen = -1; seen !== registered.length; ) {
    seen = registered.length;
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function run(p: CloudPlan) {
  // A previous program's late registrations must not land in this one's list.
  await settled();
  registered = [];
  const outputs = await cloudProgram(p)();
  const resolved: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(outputs)) resolved[k] = await value(v as pulumi.Output<unknown>);
  // Let every registration settle so the recorded inputs are complete.
  await settled();
  const byType = (suffix: string) => registered.filter((r) => r.type.endsWith(suffix));
  return { outputs: resolved, byType };
}

describe('the DigitalOcean Pulumi program (mocked engine)', () => {
  it('creates the droplet with the chosen image, size, region, Hearth’s SSH key and monitoring', async () => {
    const { byType } = await run(plan);
    const [droplet] = byType(':Droplet');
    expect(byType(':Droplet')).toHaveLength(1);
    expect(droplet!.inputs).toMatchObject({
      name: 'pds-example',
      image: 'ubuntu-24-04-x64',
      size: 's-1vcpu-2gb',
      region: 'ams3',
      sshKeys: ['3b:16:bf:e4:8b:00:8b:b8:59:8c:a9:d3:f0:19:45:fa'],
      monitoring: true,
    });
    // Nothing secret is baked into the droplet's boot data.
    expect(droplet!.inputs.userData).toBeUndefined();
  });

  it('reserves an IP in the same region and assigns it to the droplet', async () => {
    const { byType } = await run(plan);
    expect(byType(':ReservedIp')[0]!.inputs).toEqual({ region: 'ams3' });
    expect(byType(':ReservedIpAssignment')[0]!.inputs).toEqual({ ipAddress: '198.51.100.23', dropletId: 4242 });
  });

  it('firewalls SSH to the user’s address only, opens 80/443 to all, allows all outbound', async () => {
    const { byType } = await run(plan);
    const fw = byType(':Firewall');
    expect(fw).toHaveLength(1);
    expect(fw[0]!.inputs.dropletIds).toEqual([4242]);
    expect(fw[0]!.inputs.inboundRules).toEqual([
      { protocol: 'tcp', portRange: '22', sourceAddresses: ['203.0.113.7/32'] },
      { protocol: 'tcp', portRange: '80', sourceAddresses: ['0.0.0.0/0', '::/0'] },
      { protocol: 'tcp', portRange: '443', sourceAddresses: ['0.0.0.0/0', '::/0'] },
    ]);
    expect(fw[0]!.inputs.outboundRules).toEqual([
      { protocol: 'tcp', portRange: '1-65535', destinationAddresses: ['0.0.0.0/0', '::/0'] },
      { protocol: 'udp', portRange: '1-65535', destinationAddresses: ['0.0.0.0/0', '::/0'] },
      { protocol: 'icmp', destinationAddresses: ['0.0.0.0/0', '::/0'] },
    ]);
  });

  it('points the hostname and its wildcard at the reserved IP when the zone is in DO DNS', async () => {
    const { byType } = await run(plan);
    const records = byType(':DnsRecord').map((r) => r.inputs);
    expect(records).toEqual([
      { domain: 'example.com', type: 'A', name: 'pds', value: '198.51.100.23', ttl: 300 },
      { domain: 'example.com', type: 'A', name: '*.pds', value: '198.51.100.23', ttl: 300 },
    ]);
  });

  it('uses @ and * when the PDS lives at the zone root', async () => {
    const { byType } = await run({ ...plan, hostname: 'example.com' });
    expect(byType(':DnsRecord').map((r) => r.inputs.name)).toEqual(['@', '*']);
  });

  it('creates no DNS records in manual mode', async () => {
    const { byType } = await run({ ...plan, dnsZone: null });
    expect(byType(':DnsRecord')).toHaveLength(0);
  });

  it('makes a private bucket and a key scoped readwrite to that bucket only', async () => {
    const { byType } = await run(plan);
    expect(byType(':SpacesBucket')[0]!.inputs).toEqual({ name: 'hearth-pds-example-3f9a', region: 'ams3', acl: 'private' });
    const keys = byType(':SpacesKey');
    expect(keys).toHaveLength(1);
    expect(keys[0]!.inputs.grants).toEqual([{ bucket: 'hearth-pds-example-3f9a', permission: 'readwrite' }]);
  });

  it('puts the bucket in a Spaces region when the droplet’s region has no Spaces', async () => {
    const { byType, outputs } = await run({ ...plan, region: 'nyc1' });
    expect(byType(':SpacesBucket')[0]!.inputs.region).toBe('nyc3');
    expect(outputs.bucketEndpoint).toBe('https://nyc3.digitaloceanspaces.com');
  });

  it('exports the IP, hostname, bucket and key id, with the secret key marked secret', async () => {
    const { outputs } = await run(plan);
    expect(outputs).toMatchObject({
      ip: '198.51.100.23',
      hostname: 'pds.example.com',
      dropletId: '4242',
      bucketName: 'hearth-pds-example-3f9a',
      bucketRegion: 'ams3',
      bucketEndpoint: 'https://ams3.digitaloceanspaces.com',
      spacesKeyId: 'DO00SCOPEDKEYID',
      spacesSecretKey: 'scoped-secret-from-do',
    });
    const program = await cloudProgram(plan)();
    expect(await pulumi.isSecret(program.spacesSecretKey)).toBe(true);
  });

  it('replacing the droplet: builds the next generation beside the old one, then moves the reserved IP, then drops the old one', async () => {
    // 1. Building: the new droplet exists, firewalled like the first, without the reserved IP.
    const building = await run({ ...plan, dropletGeneration: 0, standbyGeneration: 1 });
    expect(building.byType(':Droplet').map((d) => d.name)).toEqual(['pds-example-droplet', 'pds-example-droplet-1']);
    expect(building.byType(':Droplet')[1]!.inputs).toMatchObject({ name: 'pds-example-1', image: 'ubuntu-24-04-x64', size: 's-1vcpu-2gb', region: 'ams3', sshKeys: [plan.sshKeyFingerprint], monitoring: true });
    expect(building.byType(':ReservedIpAssignment')[0]!.inputs).toEqual({ ipAddress: '198.51.100.23', dropletId: 4242 });
    expect(building.byType(':Firewall')[0]!.inputs.dropletIds).toEqual([4242, 4241]);
    expect(building.outputs).toMatchObject({ dropletId: '4242', standbyIp: '192.0.2.11', standbyDropletId: '4241' });
    // 2. Switching: the IP goes to generation 1; the old droplet stays until the move is verified.
    const switched = await run({ ...plan, dropletGeneration: 1, standbyGeneration: 0 });
    expect(switched.byType(':ReservedIpAssignment')[0]!.inputs).toEqual({ ipAddress: '198.51.100.23', dropletId: 4241 });
    expect(switched.byType(':Firewall')[0]!.inputs.dropletIds).toEqual([4241, 4242]);
    // DNS keeps pointing at the reserved IP throughout: nothing to change there.
    expect(switched.byType(':DnsRecord').map((r) => r.inputs.value)).toEqual(['198.51.100.23', '198.51.100.23']);
    // 3. Done: only the new droplet is left.
    const done = await run({ ...plan, dropletGeneration: 1, standbyGeneration: null });
    expect(done.byType(':Droplet').map((d) => d.name)).toEqual(['pds-example-droplet-1']);
    expect(done.outputs.standbyIp).toBeUndefined();
  });

  it('computes record names relative to the zone', () => {
    expect(relativeRecordNames('pds.example.com', 'example.com')).toEqual({ root: 'pds', wildcard: '*.pds' });
    expect(relativeRecordNames('a.b.example.com.', 'example.com')).toEqual({ root: 'a.b', wildcard: '*.a.b' });
    expect(() => relativeRecordNames('pds.other.org', 'example.com')).toThrow(/not inside/);
  });
});
