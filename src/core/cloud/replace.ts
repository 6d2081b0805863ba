/**
 * "Replace the droplet": the droplet is cattle. A new droplet is built beside the old one, the
 * PDS is installed there with the same secrets, the old PDS is stopped for a last backup that is
 * restored on the new droplet, the reserved IP moves over (DNS names the reserved IP, so it needs
 * no change), Hearth checks that the name reaches the new droplet and every DID still resolves to
 * it, and only then is the old droplet deleted. Until the IP moves, any failure puts the old PDS
 * back into service and removes the new droplet; after it moves, the old droplet is kept (its
 * data untouched) until the check passes. Running it again picks up where it stopped.
 */
import { HearthError } from '../../shared/errors.ts';
import type { Server } from '../../shared/contract/servers.ts';
import { recoverOnto } from '../backups/recover.ts';
import { jobPart, steadyContext, throwIfCancelled, type JobContext } from '../jobs/job-context.ts';
import { SSH_KEY_SECRET } from '../secrets/names.ts';
import { secretAccount } from '../secrets/secret-store.ts';
import type { Services } from '../services.ts';

export interface ReplacePorts {
  httpsPort?: number;
  httpPort?: number;
  pdsPort?: number;
  caddyAdminPort?: number;
}

/** The replacement droplet's own server entry while it is being built (merged in at the end). */
export const replacementId = (serverId: string): string => `${serverId.slice(0, 58)}-next`;

const SSH_WAIT_MS = 300_000;

export async function assertReplaceable(services: Services, serverId: string): Promise<Server> {
  const server = services.servers.get(serverId);
  if (server.kind !== 'digitalocean' || !server.ssh) throw new HearthError('VALIDATION', `${server.name} is not a DigitalOcean droplet Hearth created.`, '');
  if (!server.install) throw new HearthError('VALIDATION', `There is no PDS on ${server.name} yet.`, 'Install the PDS first; a droplet without one can simply be destroyed and made again.');
  if (!(await services.backups.service.stored(serverId))) {
    throw new HearthError('NOT_FOUND', `${server.name} has no backups set up.`, 'Set up backups on the Backups screen first: the new droplet gets its data from them.');
  }
  return server;
}

export async function replaceDroplet(services: Services, serverId: string, ports: ReplacePorts, ctx: JobContext): Promise<void> {
  const server = await assertReplaceable(services, serverId);
  const { cloud, servers, hosts, backups } = services;
  const install = server.install!;
  const tempId = replacementId(serverId);
  const { active, standby } = await cloud.generations(serverId);
  // A standby newer than the active droplet is a replacement being built; an older one is the
  // old droplet kept after the IP moved (only the check and the clean-up are left).
  const moved = standby !== null && standby < active;
  const next = moved ? active : (standby ?? active + 1);
  const old = moved ? standby : active;

  if (!moved) {
    ctx.log(`Building droplet generation ${next} beside the current one (${old}).`);
    const built = await cloud.setDroplets(jobPart(ctx, 0, 0.12), serverId, { active: old, standby: next });
    if (!built.standbyIp) throw new HearthError('INTERNAL', 'The new droplet has no address yet.', 'Run Replace again in a minute.');
    try {
      await registerReplacement(services, server, tempId, built.standbyIp, cloud.sshPort(next), ctx);
      await recoverOnto(
        services,
        {
          serverId: tempId,
          fromServerId: serverId,
          finalBackup: true,
          tlsMode: install.tlsMode,
          httpsPort: ports.httpsPort ?? install.httpsPort,
          httpPort: ports.httpPort ?? 80,
          pdsPort: ports.pdsPort ?? install.pdsPort,
          caddyAdminPort: ports.caddyAdminPort ?? 2019,
        },
        jobPart(ctx, 0.15, 0.7),
      );
    } catch (err) {
      // The old PDS is serving again (recoverOnto restarts it): the new droplet goes away.
      ctx.log('The new droplet could not take over; removing it. The old one keeps serving.', 'warn');
      const steady = steadyContext(ctx);
      await cloud.setDroplets(steady, serverId, { active: old, standby: null }).catch((cleanup: unknown) => {
        ctx.log(`Could not remove the new droplet (${cleanup instanceof Error ? cleanup.message : String(cleanup)}); run Replace again, or delete ${server.name}-${next} in DigitalOcean.`, 'error');
      });
      await forgetReplacement(services, tempId);
      throw err;
    }
    throwIfCancelled(ctx.signal);

    ctx.progress(0.7, 'Moving the reserved IP to the new droplet');
    const switched = await cloud.setDroplets(jobPart(ctx, 0.7, 0.8), serverId, { active: next, standby: old });
    const temp = servers.get(tempId);
    const latest = servers.get(serverId);
    await servers.upsert({
      ...latest,
      url: temp.url,
      ...(temp.install && { install: { ...temp.install, installedAt: latest.install?.installedAt ?? temp.install.installedAt } }),
      ssh: { ...latest.ssh!, host: switched.ip, port: cloud.sshPort(next), hostKey: temp.ssh?.hostKey ?? null },
    });
    ctx.log(`The reserved IP ${switched.ip} now points at the new droplet.`);
  }

  // The server entry is now the new droplet: settings re-applied under its own name (Caddy's
  // marker, the internal CA), HTTPS checked through the reserved IP.
  const current = servers.get(serverId);
  await hosts.install(
    serverId,
    {
      hostname: install.hostname,
      tlsMode: install.tlsMode,
      httpsPort: ports.httpsPort ?? current.install?.httpsPort ?? 443,
      httpPort: ports.httpPort ?? 80,
      pdsPort: ports.pdsPort ?? current.install?.pdsPort ?? 3000,
      caddyAdminPort: ports.caddyAdminPort ?? 2019,
      ...(current.plcUrl && { plcUrl: current.plcUrl }),
      ...(current.install?.pdsVersion && { pdsVersion: current.install.pdsVersion }),
    },
    jobPart(ctx, 0.8, 0.9),
  );
  await backups.service.writeSettings(await backups.hostFor(serverId));

  ctx.progress(0.9, 'Checking that every DID resolves to the new droplet');
  const status = await backups.moveStatus(serverId);
  if (!status.done) {
    throw new HearthError(
      'UNAVAILABLE',
      `The new droplet has every account, but the move is not verified: ${status.message}`,
      `The old droplet is kept, stopped, with its data. Run “Replace the droplet” again to check and finish.`,
    );
  }
  ctx.log(status.message);

  ctx.progress(0.93, 'Deleting the old droplet');
  await cloud.setDroplets(jobPart(ctx, 0.93, 0.99), serverId, { active: next, standby: null });
  await forgetReplacement(services, tempId);
  ctx.progress(1, 'Replaced');
  ctx.log(`${server.name} now runs on a new droplet; all ${status.dids.length} accounts kept their DIDs.`);
}

/** The new droplet as its own server entry, reached with the same key DigitalOcean put on it. */
async function registerReplacement(services: Services, server: Server, tempId: string, address: string, port: number, ctx: JobContext): Promise<void> {
  const key = await services.secrets.get(secretAccount(server.id, SSH_KEY_SECRET));
  if (!key) throw new HearthError('NOT_FOUND', `Hearth's key for ${server.name} is not in the keychain.`, 'It is the key the new droplet lets in; without it Hearth cannot reach it.');
  await services.secrets.set(secretAccount(tempId, SSH_KEY_SECRET), key);
  const existing = services.servers.list().find((s) => s.id === tempId);
  const sameAddress = existing?.ssh?.host === address && existing.ssh.port === port;
  await services.servers.upsert({
    id: tempId,
    name: `${server.name} (new droplet)`,
    kind: 'digitalocean',
    url: server.url,
    createdAt: existing?.createdAt ?? new Date().toISOString(),
    // The host key is pinned on the first connection (a new droplet's key is new by definition).
    ssh: { host: address, port, username: 'root', hostKey: sameAddress ? (existing.ssh?.hostKey ?? null) : null, publicKey: server.ssh!.publicKey },
  });
  ctx.progress(0.13, 'Waiting for the new droplet to boot');
  const deadline = Date.now() + SSH_WAIT_MS;
  for (;;) {
    throwIfCancelled(ctx.signal);
    try {
      await (await services.hosts.session(tempId)).run('true', { signal: ctx.signal, quiet: true });
      ctx.log(`The new droplet answers over SSH at ${address}.`);
      return;
    } catch (err) {
      if (Date.now() > deadline || (err instanceof HearthError && err.code === 'HOST_KEY_MISMATCH')) throw err;
      await new Promise((resolve) => setTimeout(resolve, 3_000));
    }
  }
}

async function forgetReplacement(services: Services, tempId: string): Promise<void> {
  if (!services.servers.list().some((s) => s.id === tempId)) return;
  await services.backups.service.forgetTarget(tempId);
  // Its keychain entries are copies of the server's own: they go with it.
  await services.hosts.forget(tempId, true);
}
