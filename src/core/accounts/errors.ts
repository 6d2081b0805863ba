import { XRPCError } from '@atproto/api';
import { HearthError } from '../../shared/errors.ts';

/**
 * Turns what a PDS (or the way to it) answered into an error people can act on. The PDS's own
 * message is untrusted text: it is kept short and only quoted, never interpreted.
 */
export function explainPdsError(err: unknown, doing: string, serverName: string): HearthError {
  if (err instanceof HearthError) return err;
  if (err instanceof Error && err.name === 'AbortError') throw err;
  if (!(err instanceof XRPCError)) {
    return new HearthError('NETWORK', `Could not ${doing}: ${serverName} did not answer.`, 'Check that the server is running and reachable, then try again.');
  }
  const said = quote(err.message);
  const status = Number(err.status);
  if (status === 401 || err.error === 'AuthMissing' || err.error === 'AuthRequired') {
    return new HearthError(
      'AUTH',
      `${serverName} refused Hearth's admin password, so Hearth could not ${doing}.`,
      "Hearth tried once and stopped. Put the server's admin password (PDS_ADMIN_PASSWORD in /pds/pds.env) in Hearth's keychain entry for this server, then try again.",
    );
  }
  if (status === 403) {
    return new HearthError('AUTH', `${serverName} does not allow this: ${said}`, 'Check the server settings, then try again.');
  }
  switch (err.error) {
    case 'InvalidHandle':
      return new HearthError('VALIDATION', `The server refused this handle: ${said}`, 'Pick another handle within the server’s domains (3 to 18 letters, digits or hyphens before the domain).');
    case 'HandleNotAvailable':
      return new HearthError('CONFLICT', `That handle is taken or reserved: ${said}`, 'Pick another handle.');
    case 'InvalidEmail':
      return new HearthError('VALIDATION', `The server refused this email address: ${said}`, 'Check the address and try again.');
    case 'InvalidInviteCode':
      return new HearthError('VALIDATION', 'The invite code is not valid or has no uses left.', 'Make a new invite code, or leave the field empty to let Hearth make one.');
    case 'InvalidPassword':
      return new HearthError('VALIDATION', `The server refused this password: ${said}`, 'Choose a longer password.');
    case 'AccountNotFound':
    case 'RepoNotFound':
    case 'RecordNotFound':
      return new HearthError('NOT_FOUND', `The server does not have it: ${said}`, 'It may have been deleted; reload the account list.');
    default:
      break;
  }
  if (/already (taken|exists|in use)/i.test(err.message)) {
    return new HearthError('CONFLICT', `The server says it is taken: ${said}`, 'Use a different value.');
  }
  if (status === 400) return new HearthError('VALIDATION', `The server refused to ${doing}: ${said}`, 'Check the values and try again.');
  if (status === 404) return new HearthError('NOT_FOUND', `The server does not know it: ${said}`, 'It may have been deleted; reload the account list.');
  if (status < 100) {
    return new HearthError('NETWORK', `Could not ${doing}: ${serverName} did not answer.`, 'Check that the server is running and reachable, then try again.');
  }
  return new HearthError('UNAVAILABLE', `${serverName} failed to ${doing} (HTTP ${status}): ${said}`, 'Try again later; the server’s log may say more.');
}

const quote = (text: string): string => {
  const clean = text.replace(/\s+/g, ' ').trim().slice(0, 200);
  return clean ? `“${clean}”` : 'no reason given';
};
