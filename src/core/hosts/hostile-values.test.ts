import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hostsCalls } from '../../shared/contract/hosts.ts';
import type { SecretStore } from '../secrets/secret-store.ts';
import type { ServerRegistry } from '../servers/registry.ts';
import { HostManager } from './index.ts';
import { installPds, renderCaddyfile } from './install.ts';
import { shellSettingsFile } from './ssh/shell-quote.ts';
import type { SshSession } from './ssh/index.ts';
import { hostFiles } from '../../../test/support/host-files.ts';
import { hostileValues, markerFolder } from '../../../test/support/hostile-values.ts';

// Values a user types (or a config file holds) on their way to files that root reads on the
// server. Each one is met the way the server meets it: backup.env sourced by a real bash as the
// backup scripts do, the Caddyfile through the renderer, installer arguments as a command line.
const folder = markerFolder();
const { marker, ran } = folder;
const dir = dirname(marker);
afterAll(folder.remove);

const HOSTILE = hostileValues(marker);

const caddyPlan = { serverId: 's1', hostname: 'pds.example.com', tlsMode: 'acme' as const, email: 'me@example.com', httpsPort: 443, httpPort: 80, pdsPort: 3000, caddyAdminPort: 2019 };

describe('backup.env, sourced as root by the backup scripts', () => {
  it.each(HOSTILE)('a server name or setting with %j only assigns: nothing runs and every value reads back exactly', (value) => {
    const file = join(dir, 'backup.env');
    const values = { RESTIC_PASSWORD: value, AWS_SECRET_ACCESS_KEY: `k${value}`, HEARTH_S3_REGION: value };
    writeFileSync(file, shellSettingsFile(`Written by Hearth. Backup settings for ${value}.`, values), { mode: 0o600 });
    // The scripts load it exactly so (hearth-backup-lib.sh load_settings).
    const out = execFileSync('bash', ['-c', `set -euo pipefail; set -a; . "$1"; set +a; printf '%s\\0' "$RESTIC_PASSWORD" "$AWS_SECRET_ACCESS_KEY" "$HEARTH_S3_REGION"`, 'bash', file], { encoding: 'utf8' });
    expect(ran()).toEqual([]);
    expect(out.split('\0').slice(0, 3)).toEqual([value, `k${value}`, value]);
  });

  it('refuses a setting name that is not a shell variable name', () => {
    expect(() => shellSettingsFile('x', { 'A;touch /tmp/x': 'v' })).toThrow();
  });
});

describe('the Caddyfile', () => {
  it('renders a plain hostname and email as one site and one email token', async () => {
    const text = renderCaddyfile(await hostFiles.read('Caddyfile.template'), caddyPlan);
    expect(text).toContain('\temail me@example.com\n');
    expect(text).toContain('*.pds.example.com, pds.example.com {');
  });

  it.each(HOSTILE)('refuses a hostname or certificate email with %j in words, without writing it', async (value) => {
    const template = await hostFiles.read('Caddyfile.template');
    expect(() => renderCaddyfile(template, { ...caddyPlan, hostname: value })).toThrow(expect.objectContaining({ code: 'VALIDATION', message: expect.stringContaining('hostname') }));
    expect(() => renderCaddyfile(template, { ...caddyPlan, email: `a${value}@example.com` })).toThrow(expect.objectContaining({ code: 'VALIDATION', message: expect.stringContaining('email') }));
  });
});

describe('the contract refuses what cannot be written safely, before any job starts', () => {
  const install = hostsCalls['hosts.install'].input;
  const base = { serverId: 'srv-1', hostname: 'pds.example.com' };
  // Every field of an install request that reaches a file or command on the server.
  const fields: Record<string, (v: string) => Record<string, unknown>> = {
    hostname: (v) => ({ hostname: `pds${v}.example.com` }),
    email: (v) => ({ email: `me${v}@example.com` }),
    emailFrom: (v) => ({ emailFrom: `pds${v}@example.com` }),
    plcUrl: (v) => ({ plcUrl: `https://plc.example.com/${v}` }),
    pdsVersion: (v) => ({ pdsVersion: `0.5.35${v}` }),
  };
  for (const [field, make] of Object.entries(fields)) {
    it.each(HOSTILE)(`${field} with %j is refused`, (value) => {
      const parsed = install.safeParse({ ...base, ...make(value) });
      expect(parsed.success).toBe(false);
      expect(parsed.error?.issues.map((i) => i.path.join('.'))).toContain(field);
    });
  }

  it.each(HOSTILE.filter((v) => /[\r\n\u2028]/.test(v)))('a server name with a line break (%j) is refused when connecting and when making its key', (value) => {
    expect(hostsCalls['hosts.connect'].input.safeParse({ serverId: 'srv-1', host: 'vps.example.com', name: `box${value}` }).success).toBe(false);
    expect(hostsCalls['hosts.createKey'].input.safeParse({ name: `box${value}` }).success).toBe(false);
  });

  it('accepts the legitimate values: a plain name, an SMTP password with $ and ; (core percent-encodes it), an address with +', () => {
    expect(hostsCalls['hosts.connect'].input.safeParse({ serverId: 'srv-1', host: 'vps.example.com', name: "Élodie's box (home)" }).success).toBe(true);
    expect(install.safeParse({ ...base, smtpUrl: 'smtps://me:pa$$;w rd@smtp.example.com:465', emailFrom: 'pds+bot@example.com', email: "o'hara@example.com", plcUrl: 'https://plc.directory' }).success).toBe(true);
  });
});

describe('core checks what does not come through the contract (config file, disaster recovery)', () => {
  const recorded: string[] = [];
  const ssh = new Proxy({}, { get: (_t, name) => async (...args: unknown[]) => (recorded.push(`${String(name)} ${JSON.stringify(args[0])}`), { code: 0, stdout: '', stderr: '' }) }) as unknown as SshSession;
  const ctx = { signal: new AbortController().signal, log: () => {}, progress: () => {} } as never;

  it.each(['0.5.35; touch /tmp/pwned', '$(reboot)', '0.5.35\nreboot'])('an install with the PDS version %j is refused before any command runs', async (version) => {
    recorded.length = 0;
    const plan = { ...caddyPlan, plcUrl: 'https://plc.directory', crawlers: '', pdsVersion: version };
    await expect(installPds(ssh, plan, { secrets: {} as SecretStore, resolve: async () => [], files: hostFiles }, ctx)).rejects.toMatchObject({ code: 'VALIDATION' });
    expect(recorded).toEqual([]);
  });

  it('an install with a sender address that cannot go into pds.env changes nothing: the new SMTP address is not kept', async () => {
    const stored: string[] = [];
    const secrets = { get: async () => null, set: async (account: string) => void stored.push(account), delete: async () => false, list: async () => [] } satisfies SecretStore;
    const servers = { get: () => ({ id: 'srv-1', name: 'box' }) } as unknown as ServerRegistry;
    const hosts = new HostManager({ servers, secrets, dataDir: dir, files: hostFiles });
    const request = { hostname: 'pds.example.com', tlsMode: 'acme' as const, httpsPort: 443, httpPort: 80, pdsPort: 3000, smtpUrl: 'smtps://me:secret@smtp.example.com:465', emailFrom: "o'hara@example.com" };
    await expect(hosts.install('srv-1', request, ctx)).rejects.toMatchObject({ code: 'VALIDATION', message: expect.stringContaining('PDS_EMAIL_FROM_ADDRESS') });
    expect(stored).toEqual([]);
  });
});
