/**
 * The keychain entry names are what people's keychains hold: two features sharing one name would
 * overwrite each other's secret (an SSH key replaced by a token loses the server), and a name
 * spelled out somewhere else drifts from names.ts unnoticed. This keeps both from happening.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as names from './names.ts';

const exportedNames = (Object.entries(names) as [string, unknown][]).filter((entry): entry is [string, string] => typeof entry[1] === 'string');
const values = exportedNames.map(([, value]) => value);
const perServer: readonly string[] = names.SERVER_SECRET_NAMES;
const global: readonly string[] = names.GLOBAL_ACCOUNTS;

describe('keychain entry names', () => {
  it('are all different', () => {
    const seen = new Map<string, string>();
    const clashes: string[] = [];
    for (const [constant, value] of exportedNames) {
      const earlier = seen.get(value);
      if (earlier) clashes.push(`${earlier} and ${constant} are both "${value}"`);
      seen.set(value, constant);
    }
    expect(clashes).toEqual([]);
    expect(new Set(perServer).size).toBe(perServer.length);
    expect(new Set(global).size).toBe(global.length);
    expect(new Set(names.FEED_SESSION_NAMES).size).toBe(names.FEED_SESSION_NAMES.length);
  });

  it('lists every per-server or global name, so none is left out of the checks', () => {
    const feedNames: readonly string[] = names.FEED_SESSION_NAMES;
    const unlisted = exportedNames.filter(([, value]) => !perServer.includes(value) && !global.includes(value) && !feedNames.includes(value));
    expect(unlisted).toEqual([]);
  });

  it('keep the stored names byte for byte (existing keychains must keep working)', () => {
    expect(Object.fromEntries(exportedNames)).toEqual({
      JWT_SECRET: 'jwt-secret',
      ADMIN_PASSWORD: 'admin-password',
      PLC_ROTATION_KEY: 'plc-rotation-key',
      SSH_KEY_SECRET: 'ssh-key',
      LEGACY_SSH_KEY_SECRET: 'ssh-private-key',
      SMTP_URL_SECRET: 'smtp-url',
      S3_SECRET: 'backup-s3-secret',
      RESTIC_PASSWORD: 'restic-password',
      DO_TOKEN_SECRET: 'do-token',
      PULUMI_PASSPHRASE_SECRET: 'pulumi-passphrase',
      SPACES_ADMIN_KEY_ID_SECRET: 'spaces-admin-key-id',
      SPACES_ADMIN_SECRET: 'spaces-admin-secret',
      SPACES_SECRET_KEY_SECRET: 'spaces-secret-key',
      GLOBAL_TOKEN_ACCOUNT: 'digitalocean/token',
      INDEX_ACCOUNT: '.index',
      FEED_ACCESS_JWT: 'access-jwt',
      FEED_REFRESH_JWT: 'refresh-jwt',
    });
    expect(names.feedSessionAccount('did:plc:abc', names.FEED_ACCESS_JWT)).toBe('feed.did:plc:abc/access-jwt');
  });

  it('cannot be mistaken for one another across namespaces', () => {
    // A per-server name is one path segment, so `<serverId>/<name>` has exactly one slash.
    for (const name of perServer) expect(name).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
    // A global account never reads as `<serverId>/<per-server name>`, nor a feed token's.
    for (const account of global) expect(perServer).not.toContain(account.split('/').pop());
    for (const name of names.FEED_SESSION_NAMES) expect(perServer).not.toContain(name);
  });
});

describe('the rest of src/core', () => {
  const core = fileURLToPath(new URL('../', import.meta.url));
  const sources = readdirSync(core, { recursive: true, encoding: 'utf8' })
    .filter((file) => /\.tsx?$/.test(file) && !/\.test\.tsx?$/.test(file) && file !== join('secrets', 'names.ts'))
    .map((file) => ({ file, code: withoutComments(readFileSync(join(core, file), 'utf8')) }));

  it('is scanned at all (the walk finds the files that use the keychain)', () => {
    const files = sources.map((s) => s.file);
    expect(files).toEqual(expect.arrayContaining([join('hosts', 'ssh-sessions.ts'), join('backups', 'backup-secrets.ts'), join('cloud', 'service.ts')]));
  });

  it('spells no keychain entry name out: every one comes from secrets/names.ts', () => {
    const found: string[] = [];
    for (const { file, code } of sources) {
      for (const match of code.matchAll(/(['"`])((?:(?!\1)[^\\\n]|\\.)*)\1/g)) {
        const text = match[2] ?? '';
        const hit = values.find((name) => text === name || text.endsWith(`/${name}`));
        if (!hit) continue;
        // The PDS secret names are also the keys of records typed by PdsSecretName (install.ts's
        // secrets['jwt-secret'], a switch over the names): the type ties those to names.ts.
        const after = code.slice((match.index ?? 0) + match[0].length);
        const before = code.slice(0, match.index ?? 0);
        const typedKey = (names.PDS_SECRET_NAMES as readonly string[]).includes(text) && (/^\s*:/.test(after) || (/\[\s*$/.test(before) && /^\s*\]/.test(after)));
        if (!typedKey) found.push(`${file}: ${match[0]}`);
      }
    }
    expect(found).toEqual([]);
  });

  it('passes the secret store no account written out by hand', () => {
    const found: string[] = [];
    for (const { file, code } of sources) {
      // secretAccount(serverId, 'some-name'): the name must be a constant from names.ts.
      for (const match of code.matchAll(/secretAccount\([^,()]+,\s*['"`][^)]*\)/g)) found.push(`${file}: ${match[0]}`);
      // secrets.get(`${id}/some-name`) and the like (list() takes a prefix, not a name).
      for (const match of code.matchAll(/\b(?:secrets|store)\.(?:get|set|delete)\(\s*['"`][^)]*\)/g)) found.push(`${file}: ${match[0]}`);
    }
    expect(found).toEqual([]);
  });
});

/** Drops comments (which may name entries, as docs) so only code is checked. */
function withoutComments(code: string): string {
  return code.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[\s;{}(),])\/\/.*$/gm, '$1');
}
