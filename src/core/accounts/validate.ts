import { randomBytes } from 'node:crypto';
import { Email, Handle } from '../../shared/contract/accounts.ts';
import { HearthError } from '../../shared/errors.ts';

/**
 * Checks made before anything is sent, so a bad value is explained in plain words and nothing
 * on the server changes. The PDS checks again; its refusals are explained in errors.ts.
 */

/** A handle's syntax, and that it is `<name><domain>` for one of the server's handle domains. */
export function checkHandle(raw: string, domains: string[]): string {
  const parsed = Handle.safeParse(raw);
  if (!parsed.success) {
    throw new HearthError('VALIDATION', `“${raw.slice(0, 80)}” is not a valid handle.`, parsed.error.issues[0]?.message ?? 'Use letters, digits and hyphens.');
  }
  const handle = parsed.data;
  const domain = domains.find((d) => handle.endsWith(d.startsWith('.') ? d : `.${d}`));
  const list = domains.join(', ') || '(none)';
  if (!domain) {
    throw new HearthError('VALIDATION', `The handle ${handle} is outside this server's handle domains (${list}).`, `Choose a handle ending in ${list}.`);
  }
  const front = handle.slice(0, handle.length - (domain.startsWith('.') ? domain.length : domain.length + 1));
  if (front.includes('.')) {
    throw new HearthError('VALIDATION', `The handle ${handle} has more than one name before ${domain}.`, `Use a single name, like alice${domain.startsWith('.') ? domain : `.${domain}`}.`);
  }
  if (front.length < 3 || front.length > 18) {
    throw new HearthError('VALIDATION', `The name in ${handle} must be 3 to 18 characters long.`, 'Pick a name of 3 to 18 letters, digits or hyphens.');
  }
  return handle;
}

export function checkEmail(raw: string): string {
  const parsed = Email.safeParse(raw);
  if (!parsed.success) throw new HearthError('VALIDATION', 'That is not an email address.', 'Enter an address like name@example.com.');
  return parsed.data;
}

export const MIN_PASSWORD_LENGTH = 10;
const COMMON = new Set(['password', 'password1', 'password12', 'password123', '1234567890', 'qwertyuiop', 'letmein123', 'iloveyou12', 'passw0rd12']);

/** A typed password: long enough, not a well-known one, not one character repeated. */
export function checkPassword(raw: string): string {
  if (raw.length === 0) throw new HearthError('VALIDATION', 'The password is empty.', 'Type a password, or let Hearth generate one.');
  if (raw.length < MIN_PASSWORD_LENGTH) {
    throw new HearthError('VALIDATION', `The password is too short (${raw.length} characters).`, `Use at least ${MIN_PASSWORD_LENGTH} characters, or let Hearth generate one.`);
  }
  if (COMMON.has(raw.toLowerCase()) || new Set(raw).size < 4) {
    throw new HearthError('VALIDATION', 'That password is too easy to guess.', 'Use a longer, less predictable password, or let Hearth generate one.');
  }
  return raw;
}

/** 20 random characters from an alphabet without look-alikes, to read out or paste. */
export function generatePassword(): string {
  const alphabet = 'abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  // Bytes at or above the last whole multiple of the alphabet's size are skipped, so every
  // character is equally likely.
  const limit = 256 - (256 % alphabet.length);
  let out = '';
  for (const byte of randomBytes(40)) {
    if (byte < limit && out.length < 20) out += alphabet[byte % alphabet.length];
  }
  return out.length === 20 ? out : generatePassword();
}
