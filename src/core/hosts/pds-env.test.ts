import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hostsCalls } from '../../shared/contract/hosts.ts';
import { detectServer } from './adopt-server.ts';
import { HOST_SCRIPTS_DIR, hostFiles } from '../../../test/support/host-files.ts';
import { hostileValues, markerFolder } from '../../../test/support/hostile-values.ts';
import { assertWritableSettings, missingDefaults, pdsEnvValue, smtpUrlForEnv } from './pds-env.ts';
import { parseEnvFile } from './pds-secrets.ts';
import { shellQuote } from './ssh/shell-quote.ts';
import type { SshSession } from './ssh/index.ts';
import type { SshSessions } from './ssh-sessions.ts';

// Every value Hearth writes to a server must stay one value. The hostile values below are each run
// through a real shell the way the server would meet them (sourced like pdsadmin does, or as a word
// of a remote command): a marker file proves whether anything ran.
const folder = markerFolder();
const { marker } = folder;
const dir = dirname(marker);
afterAll(folder.remove);

const HOSTILE = hostileValues(marker);

const sh = (script: string) => execFileSync('sh', ['-c', script], { encoding: 'utf8' });

describe('values that reach a server', () => {
  it.each(HOSTILE)('a pds.env setting with %j is refused in words, naming the setting but not the value', (value) => {
    let error: unknown;
    try {
      pdsEnvValue('PDS_HOSTNAME', value);
    } catch (err) {
      error = err;
    }
    expect(error).toMatchObject({ code: 'VALIDATION', message: expect.stringContaining('PDS_HOSTNAME') });
    expect((error as Error).message).not.toContain(value);
  });

  // Line breaks of any kind are refused in an address (tested above); the rest must get through.
  it.each(HOSTILE.filter((v) => !/[\r\n\u2028@]/.test(v)))('an SMTP password with %j is written percent-encoded: sourced by sh it runs nothing and decodes to itself', (password) => {
    const url = smtpUrlForEnv(`smtps://mailer:${password}@smtp.example.com:465`);
    expect(url).toMatch(/^smtps:\/\/mailer:[A-Za-z0-9._%-]*@smtp\.example\.com:465$/);
    const file = join(dir, 'pds.env');
    writeFileSync(file, `PDS_EMAIL_SMTP_URL=${url}\n`);
    const sourced = sh(`set -a; . '${file}'; printf %s "$PDS_EMAIL_SMTP_URL"`);
    expect(folder.ran()).toEqual([]);
    // sh, systemd (parseEnvFile follows its rules) and the mailer all read the same value.
    expect(sourced).toBe(url);
    expect(parseEnvFile(`PDS_EMAIL_SMTP_URL=${url}`).get('PDS_EMAIL_SMTP_URL')).toBe(url);
    // nodemailer decodes the user info like the URL standard does.
    const decoded = decodeURIComponent(new URL(url).password);
    expect(decoded).toBe(password.replace(/%24/g, '$'));
  });

  it('keeps a legitimate password with $ and ; (and @) exactly, and refuses addresses with a query, a path or a bad host', () => {
    const url = smtpUrlForEnv('smtp://me@example.com:pa$$;word@mail.example.com:587');
    expect(decodeURIComponent(new URL(url).username)).toBe('me@example.com');
    expect(decodeURIComponent(new URL(url).password)).toBe('pa$$;word');
    for (const bad of ['smtp://u:p@host/path', 'smtp://u:p@host?x=1', 'smtp://u:p@ho$t:25', 'smtp://u:p@host:99999', 'http://u:p@host', 'smtp://u:p@host:25\nX=1']) {
      expect(() => smtpUrlForEnv(bad), bad).toThrow(expect.objectContaining({ code: 'VALIDATION' }));
    }
    expect(() => assertWritableSettings({ hostname: 'pds.example.com', plcUrl: 'https://plc.directory', crawlers: 'https://bsky.network', emailFrom: "o'hara@example.com" })).toThrow(
      expect.objectContaining({ code: 'VALIDATION', message: expect.stringContaining('PDS_EMAIL_FROM_ADDRESS') }),
    );
  });

  it.each(HOSTILE)('a remote command word %j stays one word in a real shell', (value) => {
    expect(sh(`printf %s ${shellQuote(value)}`)).toBe(value);
    expect(folder.ran()).toEqual([]);
  });
});

describe('hosts.detect', () => {
  const pdsEnv = [
    'PDS_HOSTNAME=pds.example.com',
    'PDS_JWT_SECRET=jwt-secret-value',
    'PDS_ADMIN_PASSWORD=admin-password-value',
    'PDS_PLC_ROTATION_KEY_K256_PRIVATE_KEY_HEX=rotation-key-value',
    'PDS_EMAIL_SMTP_URL=smtps://mailer:smtp-password-value@smtp.example.com:465',
    'PDS_BLOBSTORE_S3_SECRET_KEY=s3-secret-value',
    'PDS_EMAIL_FROM_ADDRESS=pds@example.com',
  ].join('\n');
  // The session is stood in: the subject is what leaves core, given a server's pds.env.
  const ssh = {
    readFile: async () => Buffer.from(pdsEnv),
    exec: async () => ({ code: 0, stdout: 'official\n', stderr: '' }),
  } as unknown as SshSession;

  it('names the secret-bearing settings (the SMTP address too) and returns none of their values', async () => {
    // As hosts.detect answers (detectServer): what detectInstall found, less the parsed env.
    const found = await detectServer({ sessions: { session: async () => ssh } as unknown as SshSessions, files: hostFiles }, 'srv');
    expect(found.missingSettings).toContain('PDS_RATE_LIMITS_ENABLED=true');
    const shown = JSON.stringify(found);
    for (const value of ['jwt-secret-value', 'admin-password-value', 'rotation-key-value', 'smtp-password-value', 's3-secret-value']) expect(shown).not.toContain(value);
    expect(found.secretSettings).toEqual(expect.arrayContaining(['PDS_EMAIL_SMTP_URL', 'PDS_BLOBSTORE_S3_SECRET_KEY', 'PDS_JWT_SECRET']));
    expect(found.settings).toEqual({ PDS_HOSTNAME: 'pds.example.com', PDS_EMAIL_FROM_ADDRESS: 'pds@example.com' });
    // The contract itself refuses a secret-bearing variable in settings, whatever core returns.
    expect(hostsCalls['hosts.detect'].output.safeParse(found).success).toBe(true);
    expect(hostsCalls['hosts.detect'].output.safeParse({ ...found, settings: { PDS_EMAIL_SMTP_URL: 'smtps://u:p@h' } }).success).toBe(false);
  });
});

describe('pds.env defaults an upgrade adds', () => {
  const template = readFileSync(join(HOST_SCRIPTS_DIR, 'pds.env.template'), 'utf8');

  it('adds what the official installer writes today to a pds.env from an older Hearth, and keeps every value already set', () => {
    const older = 'PDS_HOSTNAME=pds.example.com\nPDS_JWT_SECRET=abc\nLOG_ENABLED=false\nPDS_BLOB_UPLOAD_LIMIT=5\n';
    const added = missingDefaults(template, older);
    expect(added).toContain('PDS_RATE_LIMITS_ENABLED=true');
    // Set by the operator (even to something else): stays theirs.
    expect(added.some((line) => line.startsWith('LOG_ENABLED=') || line.startsWith('PDS_BLOB_UPLOAD_LIMIT='))).toBe(false);
    // Placeholders (secrets, hostname, port) are never filled in by an upgrade.
    expect(added.some((line) => line.includes('{{') || line.startsWith('PDS_PORT=') || line.startsWith('PDS_ADMIN_PASSWORD='))).toBe(false);
    // Requiring invites would close sign-ups on a server that had them open: new installs only.
    expect(template).toContain('PDS_INVITE_REQUIRED=true');
    expect(added.some((line) => line.startsWith('PDS_INVITE_REQUIRED='))).toBe(false);
  });

  it('adds nothing to a pds.env that has every setting', () => {
    const complete = template.replace(/\{\{[A-Z_]+\}\}/g, 'x');
    expect(missingDefaults(template, complete)).toEqual([]);
  });
});
