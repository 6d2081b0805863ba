import { PDS_ENV_SAFE, SECRET_BEARING } from '../../shared/contract/hosts.ts';
import { HearthError } from '../../shared/errors.ts';
import { parseEnvFile, SECRET_ENV } from './pds-secrets.ts';

/**
 * pds.env is read three ways: by systemd (`EnvironmentFile=`, native runtime), by docker compose
 * (`env_file`, the official runtime) and by the official pdsadmin scripts, which `source` it as
 * root. The three agree on an unquoted value only while it holds none of the characters a shell,
 * systemd or compose treat specially (`$` expands in compose and sh, quotes and backslashes are
 * unescaped by systemd, `;`, `&`, `|`, `<`, backticks and spaces end or redirect a word in sh, `~`
 * expands after `=`). So every value Hearth writes must consist of these characters only, and an
 * SMTP address keeps its user and password percent-encoded (nodemailer decodes them), which lets
 * any password through unchanged.
 */
const SAFE_VALUE = PDS_ENV_SAFE;

/** A DNS name (what the contract's PdsHostname accepts): the Caddyfile site address and every handle's suffix. */
const HOSTNAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

/**
 * An address in the Caddyfile's global `email` line: no whitespace, quotes, braces (Caddy expands
 * `{$VAR}` and `{env.X}` placeholders), `#` or backslash, so it stays one token and means itself.
 */
const CADDY_EMAIL = /^[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+$/;

/** Names of pds.env variables whose values are secrets: only the names ever leave core. */
export function isSecretVariable(name: string): boolean {
  return SECRET_BEARING.test(name) || Object.values(SECRET_ENV).includes(name);
}

/** Checks one value for pds.env; the error names the setting, never the value (it may be a secret). */
export function pdsEnvValue(name: string, value: string): string {
  if (!SAFE_VALUE.test(value)) {
    throw new HearthError(
      'VALIDATION',
      `The setting ${name} has characters that cannot be written safely into the server's pds.env.`,
      'Use letters, digits and . _ : / @ % + = , - only (an SMTP password may hold anything: Hearth percent-encodes it).',
    );
  }
  return value;
}

/** Every value of a pds.env template, checked. */
export function pdsEnvValues(values: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).map(([name, value]) => [name, pdsEnvValue(name, value)]));
}

/** Percent-encodes everything outside the unreserved characters (RFC 3986), stricter than encodeURIComponent. */
const strictEncode = (text: string) => [...new TextEncoder().encode(text)].map((b) => (/[A-Za-z0-9._-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`)).join('');

/**
 * An SMTP address as pds.env holds it: smtp(s)://user:password@host:port with the user and password
 * percent-encoded, so any password (`$`, `;`, quotes, spaces) reaches the mailer unchanged and no
 * shell ever sees a special character. Anything else in the address (a query, a fragment, a path)
 * is refused with words rather than written.
 */
export function smtpUrlForEnv(input: string): string {
  const refuse = (why: string): never => {
    throw new HearthError('VALIDATION', `The mail server address ${why}.`, 'It looks like smtps://user:password@smtp.example.com:465.');
  };
  if (/[\r\n\0]/.test(input)) refuse('has a line break');
  const match = /^(smtps?):\/\/(?:(.*)@)?([^@/?#:]+)(?::(\d{1,5}))?\/?$/.exec(input.trim());
  if (!match) refuse('is not of the form smtps://user:password@host:port (no path, query or fragment)');
  const [, scheme, userinfo, host, port] = match as RegExpExecArray;
  if (!/^[A-Za-z0-9.-]+$/.test(host ?? '') || !/[A-Za-z0-9]/.test(host ?? '')) refuse('has an invalid host name');
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) refuse('has a port outside 1–65535');
  let auth = '';
  if (userinfo !== undefined) {
    const colon = userinfo.indexOf(':');
    const decode = (part: string) => {
      try {
        return decodeURIComponent(part);
      } catch {
        return part; // a bare % in a typed password is the password's own character
      }
    };
    const user = decode(colon === -1 ? userinfo : userinfo.slice(0, colon));
    const password = colon === -1 ? null : decode(userinfo.slice(colon + 1));
    auth = `${strictEncode(user)}${password === null ? '' : `:${strictEncode(password)}`}@`;
  }
  return pdsEnvValue('PDS_EMAIL_SMTP_URL', `${scheme}://${auth}${host}${port ? `:${port}` : ''}`);
}

/**
 * Checks, before anything on the server changes, the settings of an install that end up in
 * pds.env; the secrets are checked where they are written (they may come from the server itself).
 */
export function assertWritableSettings(plan: { hostname: string; plcUrl: string; crawlers: string; smtpUrl?: string | undefined; emailFrom?: string | undefined; email?: string | undefined }): void {
  assertCaddySettings(plan);
  pdsEnvValues({ PDS_HOSTNAME: plan.hostname, PDS_DID_PLC_URL: plan.plcUrl, PDS_CRAWLERS: plan.crawlers });
  if (plan.smtpUrl) smtpUrlForEnv(plan.smtpUrl);
  if (plan.emailFrom) pdsEnvValue('PDS_EMAIL_FROM_ADDRESS', plan.emailFrom);
}

/**
 * Checks what the Caddyfile gets from the user: the hostname must be a DNS name and the ACME email
 * one plain token. Install plans also come from the config file (disaster recovery), not only
 * through the contract, so the renderer refuses rather than trusts.
 */
export function assertCaddySettings(plan: { hostname: string; email?: string | undefined }): void {
  if (!HOSTNAME.test(plan.hostname)) {
    throw new HearthError('VALIDATION', 'The PDS hostname is not a DNS name Hearth can write into the server settings.', 'A hostname looks like pds.example.com (lower-case letters, digits, dots and dashes).');
  }
  if (plan.email !== undefined && !CADDY_EMAIL.test(plan.email)) {
    throw new HearthError('VALIDATION', "The certificate email address has characters that cannot be written into the server's Caddyfile.", "Use an address of letters, digits and . _ % + ' - only.");
  }
}

/**
 * Settings a server keeps as it is, even where Hearth's template now says otherwise: requiring
 * invite codes on a server that was open would quietly close its sign-ups. A new install writes
 * it; an upgrade leaves the operator's choice alone.
 */
const POLICY_SETTINGS = new Set(['PDS_INVITE_REQUIRED']);

/**
 * The template's fixed lines (no `{{placeholder}}`) whose variable pds.env does not set at all:
 * what an upgrade appends so a PDS installed by an older Hearth gets what the official installer
 * writes today (e.g. PDS_RATE_LIMITS_ENABLED=true). A variable the file sets, to any value, is the
 * operator's and stays.
 */
export function missingDefaults(templateText: string, envText: string): string[] {
  const present = new Set(parseEnvFile(envText).keys());
  return templateText
    .split('\n')
    .filter((line) => /^[A-Z0-9_]+=/.test(line) && !line.includes('{{'))
    .filter((line) => {
      const name = line.slice(0, line.indexOf('='));
      return !present.has(name) && !POLICY_SETTINGS.has(name);
    });
}
