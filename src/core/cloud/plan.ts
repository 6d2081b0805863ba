// What a DigitalOcean stack is built from, and the naming rules around it. Free of the Pulumi
// SDK on purpose: core loads this at start-up, the SDK only when a stack operation runs.

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
  /**
   * Which droplet holds the reserved IP: 0 is the first one; "Replace the droplet" builds the next
   * generation beside it (the standby), moves the IP over, then drops the old one.
   */
  dropletGeneration?: number;
  /** A second droplet that exists without the reserved IP (being built, or the old one kept until the move is verified). */
  standbyGeneration?: number | null;
}

/** Droplet resource and droplet names per generation (generation 0 keeps the original names). */
export const dropletNames = (name: string, generation: number): { resource: string; droplet: string } =>
  generation === 0 ? { resource: `${name}-droplet`, droplet: name } : { resource: `${name}-droplet-${generation}`, droplet: `${name}-${generation}` };

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
