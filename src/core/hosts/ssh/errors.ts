import { HearthError } from '../../../shared/errors.ts';

export interface SshEndpoint {
  host: string;
  port: number;
  username: string;
}

export function hostKeyMismatch(endpoint: SshEndpoint, expected: string, actual: string): HearthError {
  return new HearthError(
    'HOST_KEY_MISMATCH',
    `The server at ${endpoint.host}:${endpoint.port} presented a different identity (host key) than the one Hearth trusted. ` +
      `Trusted: ${expected}. Presented now: ${actual}. Hearth will not talk to it until you decide.`,
    'If you reinstalled or rebuilt this server, check the new fingerprint in your provider\'s console and choose "Trust the new key". ' +
      'If you did not, someone may be intercepting the connection: do not trust it.',
  );
}

/**
 * Turns what ssh2 and the socket report while connecting into one specific, actionable error.
 * Messages name the host and port, never a key or a password.
 */
export function connectError(err: unknown, endpoint: SshEndpoint): HearthError {
  if (err instanceof HearthError) return err;
  const e = err as { code?: unknown; level?: unknown; message?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  const message = typeof e.message === 'string' ? e.message : String(err);
  const where = `${endpoint.host}:${endpoint.port}`;
  if (code === 'ECONNREFUSED') {
    return new HearthError('NETWORK', `Nothing is listening for SSH on ${where}.`, 'Check the port (SSH usually uses 22) and that the server is switched on.');
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new HearthError('NETWORK', `The name ${endpoint.host} does not resolve to any address.`, 'Check the spelling of the host, or use the server\'s IP address.');
  }
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'ETIMEDOUT' || /Timed out while waiting for handshake/i.test(message)) {
    return new HearthError(
      'NETWORK',
      `The server at ${where} did not answer.`,
      'Check the address and port, that the server is running, and that a firewall allows SSH from this computer.',
    );
  }
  if (code === 'ECONNRESET' || code === 'EPIPE') {
    return new HearthError('NETWORK', `The connection to ${where} was cut.`, 'Try again; if it keeps happening, check the server\'s network and SSH service.');
  }
  if (e.level === 'client-authentication' || /authentication methods failed/i.test(message)) {
    return new HearthError(
      'AUTH',
      `The server at ${where} refused to let ${endpoint.username} in with Hearth's key.`,
      `Add Hearth's public key to ${endpoint.username === 'root' ? '/root' : `/home/${endpoint.username}`}/.ssh/authorized_keys on the server, or let Hearth install it once with your password.`,
    );
  }
  if (e.level === 'protocol' || /protocol|handshake|ident/i.test(message)) {
    return new HearthError('NETWORK', `The service on ${where} does not speak SSH.`, 'Check the port: it should be the server\'s SSH port (usually 22).');
  }
  return new HearthError('NETWORK', `Could not connect to ${where}: ${message}.`, 'Check the address, port and user, then try again.');
}
