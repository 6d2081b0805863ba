import { HearthError } from '../../shared/errors.ts';
import type { ServiceHandlers, Services } from '../services.ts';
import type { PdsAdmin } from './pds-admin.ts';
import { adminCredentials, serverAccess, serverRotationKey, type ServerAccess } from './server-access.ts';
import { checkEmail, checkHandle, checkPassword, generatePassword } from './validate.ts';

/**
 * The Accounts screen's calls. Each one reads the server's admin password from the keychain
 * (core only; it never reaches the renderer), acts through @atproto/api, and answers with what
 * the PDS itself reports afterwards.
 */
export function accountsHandlers(services: Services): ServiceHandlers<'accounts'> {
  // @atproto/api and @atproto/identity load on first use, so Hearth starts as fast without them.
  const connect = async (serverId: string): Promise<{ access: ServerAccess; pds: PdsAdmin }> => {
    const access = serverAccess(services, serverId);
    const admin = await adminCredentials(services, serverId);
    const { PdsAdmin } = await import('./pds-admin.ts');
    // A server over SSH is reached the way Hearth reaches it everywhere: its resolver and, on
    // Caddy's internal CA, that CA trusted for it alone (plain fetch would refuse the certificate).
    const server = services.servers.get(serverId);
    const fetch = server.ssh ? await services.hosts.fetchFor(serverId) : undefined;
    return { access, pds: new PdsAdmin({ pdsUrl: access.pdsUrl, serverName: access.name, admin, ...(fetch && { fetch }) }) };
  };

  return {
    'accounts.serverInfo': async ({ serverId }) => {
      const { access, pds } = await connect(serverId);
      const description = await pds.describe();
      return {
        serverId,
        availableUserDomains: description.availableUserDomains,
        inviteCodeRequired: description.inviteCodeRequired,
        crawlers: access.crawlers,
        plcUrl: access.plcUrl,
      };
    },

    'accounts.list': async ({ serverId }) => {
      const { pds } = await connect(serverId);
      const { accounts, pages } = await pds.listAccounts();
      return { accounts, pages, fetchedAt: new Date().toISOString() };
    },

    'accounts.create': async ({ serverId, handle: rawHandle, email: rawEmail, password: typed, inviteCode }) => {
      const { pds } = await connect(serverId);
      const description = await pds.describe();
      const handle = checkHandle(rawHandle, description.availableUserDomains);
      const email = checkEmail(rawEmail);
      const password = typed === null ? generatePassword() : checkPassword(typed);
      let code = inviteCode?.trim() || null;
      if (description.inviteCodeRequired && !code) {
        // As pdsadmin does: a single-use code made for this account.
        [code = null] = await pds.createInviteCodes(1, 1);
      }
      const created = await pds.createAccount({ handle, email, password, ...(code ? { inviteCode: code } : {}) });
      return {
        did: created.did,
        handle: created.handle,
        generatedPassword: typed === null ? password : null,
        inviteCodeUsed: code,
      };
    },

    'accounts.detail': async ({ serverId, did }) => {
      const { access, pds } = await connect(serverId);
      const { readIdentity } = await import('./identity.ts');
      const [{ row: account, info }, collections, identity, serverKey] = await Promise.all([
        pds.account(did),
        pds.collections(did),
        readIdentity(did, access.plcUrl),
        serverRotationKey(services, serverId),
      ]);
      return {
        account,
        ...identity,
        serverRotationKey: serverKey,
        serverKeyInRotation: serverKey && identity.rotationKeys.length > 0 ? identity.rotationKeys.includes(serverKey) : null,
        collections,
        invitedBy: info.invitedBy?.code ?? null,
      };
    },

    'accounts.takedown': async ({ serverId, did }) => {
      const { pds } = await connect(serverId);
      await pds.setTakedown(did, true);
      return { ok: true };
    },

    'accounts.restore': async ({ serverId, did }) => {
      const { pds } = await connect(serverId);
      await pds.setTakedown(did, false);
      return { ok: true };
    },

    'accounts.resetPassword': async ({ serverId, did, password: typed }) => {
      const password = typed === null ? generatePassword() : checkPassword(typed);
      const { pds } = await connect(serverId);
      await pds.updatePassword(did, password);
      return { generatedPassword: typed === null ? password : null };
    },

    'accounts.changeHandle': async ({ serverId, did, handle: raw }) => {
      const { pds } = await connect(serverId);
      const { availableUserDomains } = await pds.describe();
      const handle = checkHandle(raw, availableUserDomains);
      const holder = await pds.resolveHandle(handle);
      if (holder && holder !== did) throw new HearthError('CONFLICT', `The handle ${handle} is already used by another account.`, 'Pick another handle.');
      if (holder !== did) await pds.updateHandle(did, handle);
      return { handle };
    },

    'accounts.changeEmail': async ({ serverId, did, email: raw }) => {
      const email = checkEmail(raw);
      const { pds } = await connect(serverId);
      await pds.updateEmail(did, email);
      return { ok: true };
    },

    'accounts.delete': async ({ serverId, did, confirmHandle }) => {
      const { pds } = await connect(serverId);
      const info = await pds.accountInfo(did);
      if (confirmHandle.trim().toLowerCase() !== info.handle.toLowerCase()) {
        throw new HearthError('VALIDATION', 'The handle you typed does not match this account.', `Type ${info.handle} exactly to delete it.`);
      }
      await pds.deleteAccount(did);
      return { ok: true };
    },

    'accounts.listInvites': async ({ serverId }) => {
      const { pds } = await connect(serverId);
      const { toInviteCode } = await import('./pds-admin.ts');
      const codes = await pds.listInviteCodes();
      const users = [...new Set(codes.flatMap((c) => c.uses.map((u) => u.usedBy)))];
      const handles = users.length ? await pds.handlesOf(users) : new Map<string, string>();
      return codes.map((c) => toInviteCode(c, handles));
    },

    'accounts.createInvites': async ({ serverId, count, usesPerCode, forAccount }) => {
      const { pds } = await connect(serverId);
      return { codes: await pds.createInviteCodes(count, usesPerCode, forAccount) };
    },

    'accounts.disableInvites': async ({ serverId, codes }) => {
      const { pds } = await connect(serverId);
      await pds.disableInviteCodes(codes);
      return { ok: true };
    },

    'accounts.requestCrawl': async ({ serverId, relays }) => {
      const access = serverAccess(services, serverId);
      const targets = relays ?? access.crawlers;
      if (targets.length === 0) {
        throw new HearthError('VALIDATION', `${access.name} lists no relays to ask.`, 'The sandbox is private to this computer; relays cannot reach it.');
      }
      const hostname = new URL(access.pdsUrl).hostname;
      const results = await Promise.all(
        targets.map(async (relay) => {
          try {
            const { PdsAdmin } = await import('./pds-admin.ts');
            await PdsAdmin.requestCrawl(relay, hostname, AbortSignal.timeout(15_000));
            return { relay, ok: true, message: 'The relay accepted the request.' };
          } catch (err) {
            return { relay, ok: false, message: err instanceof Error ? err.message.slice(0, 200) : 'No answer.' };
          }
        }),
      );
      return { results };
    },

    'accounts.listRecords': async ({ serverId, did, collection, cursor }) => {
      const { pds } = await connect(serverId);
      return pds.listRecords(did, collection, cursor);
    },

    'accounts.getRecord': async ({ serverId, uri }) => {
      const { pds } = await connect(serverId);
      return pds.getRecord(uri);
    },

    'accounts.listBlobs': async ({ serverId, did, cursor }) => {
      const { pds } = await connect(serverId);
      return pds.listBlobs(did, cursor);
    },
  };
}
