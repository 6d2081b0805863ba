import { HearthError } from '../../shared/errors.ts';
import { PDS_SECRET_NAMES, type PdsSecretName } from '../secrets/names.ts';
import { isSecretVariable } from './pds-env.ts';
import { parseEnvFile, SECRET_ENV } from './pds-secrets.ts';
import type { SshSession } from './ssh/index.ts';

export interface DetectedInstall {
  /** none: no PDS; native: installed by Hearth; official: the official installer's docker compose. */
  kind: 'none' | 'native' | 'official';
  hostname: string | null;
  /** Which of the three secrets the server's pds.env holds (never their values). */
  secretsOnServer: PdsSecretName[];
  /** pds.env without anything secret-bearing, for the user to review before adopting. */
  settings: Record<string, string>;
  /** Names of the secret-bearing variables left out of settings (an SMTP address holds a password). */
  secretSettings: string[];
  /** The server's pds.env, parsed (secrets included): stays in core. */
  env: Map<string, string> | null;
}

/**
 * Looks at what runs on a server: the official installer leaves /pds/compose.yaml next to
 * /pds/pds.env; Hearth's own install leaves its systemd unit and /opt/hearth/pds. Only reads.
 */
export async function detectInstall(ssh: SshSession, signal?: AbortSignal): Promise<DetectedInstall> {
  const opts = signal ? { signal } : {};
  const envText = await ssh.readFile('/pds/pds.env', opts);
  const probe = await ssh.exec(
    'test -f /pds/compose.yaml -o -f /pds/docker-compose.yml && echo official; test -L /opt/hearth/pds -a -f /etc/systemd/system/pds.service && echo native; true',
    { quiet: true, ...opts },
  );
  const marks = probe.stdout.split('\n');
  const kind = marks.includes('native') ? 'native' : marks.includes('official') ? 'official' : 'none';
  if (!envText) return { kind: kind === 'none' ? 'none' : kind, hostname: null, secretsOnServer: [], settings: {}, secretSettings: [], env: null };
  const env = parseEnvFile(envText.toString('utf8'));
  const settings: Record<string, string> = {};
  const secretSettings: string[] = [];
  for (const [key, value] of env) {
    if (isSecretVariable(key)) secretSettings.push(key);
    else settings[key] = value;
  }
  return {
    kind,
    hostname: env.get('PDS_HOSTNAME') ?? null,
    secretsOnServer: PDS_SECRET_NAMES.filter((name) => Boolean(env.get(SECRET_ENV[name]))),
    settings,
    secretSettings,
    env,
  };
}

export type RuntimeAction = 'status' | 'restart' | 'logs';

/**
 * Each runtime's own commands: the official install through docker compose under /pds, Hearth's
 * native one through systemd (this server's journal, or the log file a journal-less init keeps).
 */
export const RUNTIME_COMMANDS: Record<'native' | 'official', Record<RuntimeAction, string>> = {
  official: {
    status: 'docker compose -f /pds/compose.yaml ps --format "{{.Name}}: {{.State}}"',
    restart: 'docker compose -f /pds/compose.yaml restart',
    logs: 'docker logs --tail 200 pds 2>&1',
  },
  native: {
    status: 'for u in pds caddy; do printf "%s: %s\\n" "$u" "$(systemctl is-active "$u" 2>/dev/null || true)"; done',
    restart: 'systemctl restart pds caddy </dev/null >/dev/null 2>&1 && echo restarted',
    logs: 'journalctl -u pds -n 200 --no-pager 2>/dev/null || tail -n 200 /var/log/journal/pds.service.log',
  },
};

export function assertAdoptable(found: DetectedInstall): asserts found is DetectedInstall & { hostname: string; env: Map<string, string> } {
  if (found.kind === 'none' || !found.hostname || !found.env) {
    throw new HearthError('NOT_FOUND', 'There is no PDS on this server to adopt (no /pds/pds.env).', 'Install a new PDS instead.');
  }
}
