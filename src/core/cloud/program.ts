import * as digitalocean from '@pulumi/digitalocean';
import * as pulumi from '@pulumi/pulumi';

/** Ubuntu 24.04 LTS: what the droplet boots unless the wizard says otherwise. */
export const DEFAULT_IMAGE = 'ubuntu-24-04-x64';

/** Regions where DigitalOcean offers Spaces; the bucket goes to the droplet's region when it can. */
export const SPACES_REGIONS = ['nyc3', 'sfo2', 'sfo3', 'ams3', 'fra1', 'sgp1', 'syd1', 'blr1', 'lon1', 'tor1', 'atl1'];

export const spacesRegionFor = (region: string): string => (SPACES_REGIONS.includes(region) ? region : 'nyc3');

/** Everything the program needs, none of it secret (the token and Spaces keys are stack config). */
export interface CloudPlan {
  /** Droplet, firewall and key names are derived from it: lowercase letters, digits, dashes. */
  name: string;
  region: string;
  size: string;
  image: string;
  /** Fingerprint of Hearth's SSH key, registered on the account beforehand. */
  sshKeyFingerprint: string;
  /** The user's current public IPv4 address: the only place SSH is allowed from. */
  sshFrom: string;
  /** The PDS hostname, e.g. pds.example.com; handles live under it (*.pds.example.com). */
  hostname: string;
  /** The DigitalOcean DNS zone serving the hostname, or null for manual DNS. */
  dnsZone: string | null;
  bucketName: string;
}

export interface DnsRecordToCreate {
  type: 'A';
  /** The full name, as a person types it into a DNS panel. */
  name: string;
}

/** The two records the PDS needs: its hostname and the wildcard under it for handles. */
export function requiredRecords(hostname: string): DnsRecordToCreate[] {
  return [
    { type: 'A', name: hostname },
    { type: 'A', name: `*.${hostname}` },
  ];
}

/** Record names relative to the zone: `pds.example.com` in `example.com` → `pds` and `*.pds`. */
export function relativeRecordNames(hostname: string, zone: string): { root: string; wildcard: string } {
  const host = hostname.toLowerCase().replace(/\.$/, '');
  const z = zone.toLowerCase().replace(/\.$/, '');
  if (host === z) return { root: '@', wildcard: '*' };
  if (!host.endsWith(`.${z}`)) throw new Error(`${host} is not inside the DNS zone ${z}`);
  const sub = host.slice(0, -(z.length + 1));
  return { root: sub, wildcard: `*.${sub}` };
}

const ANYWHERE = ['0.0.0.0/0', '::/0'];

/**
 * The inline Pulumi program for one DigitalOcean-hosted PDS. The droplet is cattle: it holds
 * nothing that cannot be rebuilt (data is backed up to the bucket, secrets live in the desktop's
 * keychain), so it can be replaced without losing a DID. The reserved IP and DNS outlive it.
 * The provider reads the token and the Spaces keys from the stack's secret config.
 */
export function cloudProgram(plan: CloudPlan) {
  return async () => {
    const tags = ['hearth', `hearth-${plan.name}`];

    const droplet = new digitalocean.Droplet(`${plan.name}-droplet`, {
      name: plan.name,
      image: plan.image || DEFAULT_IMAGE,
      size: plan.size,
      region: plan.region,
      sshKeys: [plan.sshKeyFingerprint],
      monitoring: true,
      tags,
    });

    const reservedIp = new digitalocean.ReservedIp(`${plan.name}-ip`, { region: plan.region });
    new digitalocean.ReservedIpAssignment(`${plan.name}-ip-assignment`, {
      ipAddress: reservedIp.ipAddress,
      dropletId: droplet.id.apply((id) => Number(id)),
    });

    new digitalocean.Firewall(`${plan.name}-firewall`, {
      name: `${plan.name}-firewall`,
      dropletIds: [droplet.id.apply((id) => Number(id))],
      inboundRules: [
        { protocol: 'tcp', portRange: '22', sourceAddresses: [`${plan.sshFrom}/32`] },
        { protocol: 'tcp', portRange: '80', sourceAddresses: ANYWHERE },
        { protocol: 'tcp', portRange: '443', sourceAddresses: ANYWHERE },
      ],
      outboundRules: [
        { protocol: 'tcp', portRange: '1-65535', destinationAddresses: ANYWHERE },
        { protocol: 'udp', portRange: '1-65535', destinationAddresses: ANYWHERE },
        { protocol: 'icmp', destinationAddresses: ANYWHERE },
      ],
    });

    if (plan.dnsZone) {
      const names = relativeRecordNames(plan.hostname, plan.dnsZone);
      new digitalocean.DnsRecord(`${plan.name}-dns-root`, { domain: plan.dnsZone, type: 'A', name: names.root, value: reservedIp.ipAddress, ttl: 300 });
      new digitalocean.DnsRecord(`${plan.name}-dns-wildcard`, { domain: plan.dnsZone, type: 'A', name: names.wildcard, value: reservedIp.ipAddress, ttl: 300 });
    }

    const spacesRegion = spacesRegionFor(plan.region);
    const bucket = new digitalocean.SpacesBucket(`${plan.name}-bucket`, { name: plan.bucketName, region: spacesRegion, acl: 'private' });
    // The server's own key can read and write this one bucket, nothing else on the account.
    const key = new digitalocean.SpacesKey(`${plan.name}-bucket-key`, {
      name: `${plan.name}-pds`,
      grants: [{ bucket: bucket.name, permission: 'readwrite' }],
    });

    return {
      ip: reservedIp.ipAddress,
      hostname: plan.hostname,
      dropletId: droplet.id,
      dropletName: droplet.name,
      bucketName: bucket.name,
      bucketRegion: spacesRegion,
      bucketEndpoint: pulumi.interpolate`https://${spacesRegion}.digitaloceanspaces.com`,
      spacesKeyId: key.accessKey,
      // Secret in the state (encrypted with the stack passphrase); the runner moves it into the keychain.
      spacesSecretKey: pulumi.secret(key.secretKey),
    };
  };
}
