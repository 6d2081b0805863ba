import * as digitalocean from '@pulumi/digitalocean';
import * as pulumi from '@pulumi/pulumi';
import { DEFAULT_IMAGE, dropletNames, relativeRecordNames, spacesRegionFor, type CloudPlan } from './plan.ts';

export { DEFAULT_IMAGE, relativeRecordNames, requiredRecords, SPACES_REGIONS, spacesRegionFor, type CloudPlan, type DnsRecordToCreate } from './plan.ts';

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

    const dropletFor = (generation: number) =>
      new digitalocean.Droplet(dropletNames(plan.name, generation).resource, {
        name: dropletNames(plan.name, generation).droplet,
        image: plan.image || DEFAULT_IMAGE,
        size: plan.size,
        region: plan.region,
        sshKeys: [plan.sshKeyFingerprint],
        monitoring: true,
        tags,
      });
    const droplet = dropletFor(plan.dropletGeneration ?? 0);
    const standby = plan.standbyGeneration === undefined || plan.standbyGeneration === null ? null : dropletFor(plan.standbyGeneration);
    const dropletIds = [droplet, ...(standby ? [standby] : [])].map((d) => d.id.apply((id) => Number(id)));

    const reservedIp = new digitalocean.ReservedIp(`${plan.name}-ip`, { region: plan.region });
    // Moving the IP to another droplet replaces the assignment. Delete first: DigitalOcean
    // reassigns an IP in place, so deleting the old assignment afterwards would unassign the new one.
    new digitalocean.ReservedIpAssignment(
      `${plan.name}-ip-assignment`,
      { ipAddress: reservedIp.ipAddress, dropletId: droplet.id.apply((id) => Number(id)) },
      { deleteBeforeReplace: true },
    );

    new digitalocean.Firewall(`${plan.name}-firewall`, {
      name: `${plan.name}-firewall`,
      dropletIds,
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
      // The standby droplet's own address: Hearth installs and restores there before the IP moves.
      ...(standby && { standbyIp: standby.ipv4Address, standbyDropletId: standby.id }),
      bucketName: bucket.name,
      bucketRegion: spacesRegion,
      bucketEndpoint: pulumi.interpolate`https://${spacesRegion}.digitaloceanspaces.com`,
      spacesKeyId: key.accessKey,
      // Secret in the state (encrypted with the stack passphrase); the runner moves it into the keychain.
      spacesSecretKey: pulumi.secret(key.secretKey),
    };
  };
}
