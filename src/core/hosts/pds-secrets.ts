import { HearthError } from '../../shared/errors.ts';
import { generatePdsSecret } from '../sandbox/secrets.ts';
import { PDS_SECRET_NAMES, type PdsSecretName } from '../secrets/names.ts';
import { secretAccount, type SecretStore } from '../secrets/secret-store.ts';

export type PdsSecrets = Record<PdsSecretName, string>;

/** pds.env variable of each secret, as the official installer names them. */
export const SECRET_ENV: Record<PdsSecretName, string> = {
  'jwt-secret': 'PDS_JWT_SECRET',
  'admin-password': 'PDS_ADMIN_PASSWORD',
  'plc-rotation-key': 'PDS_PLC_ROTATION_KEY_K256_PRIVATE_KEY_HEX',
};

/** Reads pds.env as data (KEY=VALUE, surrounding quotes removed), as systemd does: never run. */
export function parseEnvFile(text: string): Map<string, string> {
  const env = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^\s*([A-Z0-9_]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (!match?.[1]) continue;
    const raw = match[2] ?? '';
    env.set(match[1], /^(["'])(.*)\1$/.test(raw) ? raw.slice(1, -1) : raw);
  }
  return env;
}

/**
 * The secrets for one server, exactly one set ever: what the keychain holds; else what the
 * server's pds.env already holds (a re-run after the keychain entry was lost must not replace a
 * rotation key that controls live identities); else new ones. If the keychain and the server
 * disagree, nothing is overwritten.
 */
export async function resolvePdsSecrets(
  store: SecretStore,
  serverId: string,
  serverEnv: Map<string, string> | null,
  options: { generateMissing?: boolean } = {},
): Promise<{ secrets: PdsSecrets; created: PdsSecretName[]; imported: PdsSecretName[] }> {
  const secrets = {} as PdsSecrets;
  const created: PdsSecretName[] = [];
  const imported: PdsSecretName[] = [];
  const known = new Map<PdsSecretName, string | null>();
  for (const name of PDS_SECRET_NAMES) known.set(name, await store.get(secretAccount(serverId, name)));
  for (const name of PDS_SECRET_NAMES) {
    const kept = known.get(name) ?? null;
    const onServer = serverEnv?.get(SECRET_ENV[name]) || null;
    if (kept && onServer && kept !== onServer) {
      throw new HearthError(
        'CONFLICT',
        `The server's pds.env has a different ${name.replace(/-/g, ' ')} than the one Hearth keeps for it.`,
        'Hearth will not overwrite either: one of them may be the key your accounts depend on. Adopt the server to take its settings, or restore the right pds.env.',
      );
    }
    if (kept) secrets[name] = kept;
    else if (onServer) {
      secrets[name] = onServer;
      imported.push(name);
    } else if (options.generateMissing !== false) {
      secrets[name] = await generatePdsSecret(name);
      created.push(name);
    }
  }
  // Into the keychain before anything is written to the server.
  for (const name of [...created, ...imported]) await store.set(secretAccount(serverId, name), secrets[name]);
  // Adopting without generating may leave some names unset: callers read only what they need.
  return { secrets, created, imported };
}
