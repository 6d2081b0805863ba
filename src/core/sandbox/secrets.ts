/**
 * The sandbox's three secrets live in the keychain under "sandbox/…", like any server's. They are
 * read (or generated) here, registered with the redactor at once, and handed to the PDS child
 * only over IPC.
 */
import { randomBytes } from 'node:crypto';
import type { Redactor } from '../log/redact.ts';
import type { PdsSecretName } from '../secrets/names.ts';
import { secretAccount, type SecretStore } from '../secrets/secret-store.ts';

export const SANDBOX_SERVER_ID = 'sandbox';

export interface SandboxSecrets {
  jwtSecret: string;
  adminPassword: string;
  /** secp256k1 private key, hex: the key that controls every sandbox DID in the PLC. */
  plcRotationKeyHex: string;
}

const FIELD: Record<PdsSecretName, keyof SandboxSecrets> = {
  'jwt-secret': 'jwtSecret',
  'admin-password': 'adminPassword',
  'plc-rotation-key': 'plcRotationKeyHex',
};

/** A new value for one PDS secret (also used for servers Hearth installs). */
export async function generatePdsSecret(name: PdsSecretName): Promise<string> {
  switch (name) {
    case 'jwt-secret':
      return randomBytes(32).toString('hex');
    case 'admin-password':
      return randomBytes(24).toString('base64url');
    case 'plc-rotation-key': {
      // Generated with the library the PDS itself uses to import it. Loaded on demand: creating a
      // sandbox is rare, and the panel should not pay for it at start-up.
      const { Secp256k1Keypair } = await import('@atproto/crypto');
      const keypair = await Secp256k1Keypair.create({ exportable: true });
      return Buffer.from(await keypair.export()).toString('hex');
    }
  }
}

/**
 * Reads every sandbox secret, generating and storing the missing ones. All reads happen before
 * any write, so an unreachable keychain fails here (NO_KEYCHAIN, from the store) with nothing
 * created anywhere.
 */
export async function loadOrCreateSandboxSecrets(
  store: SecretStore,
  redactor: Redactor,
): Promise<{ secrets: SandboxSecrets; created: PdsSecretName[] }> {
  const names = Object.keys(FIELD) as PdsSecretName[];
  const found = new Map<PdsSecretName, string | null>();
  for (const name of names) {
    const value = await store.get(secretAccount(SANDBOX_SERVER_ID, name));
    redactor.register(value);
    found.set(name, value);
  }
  const created: PdsSecretName[] = [];
  const secrets = {} as SandboxSecrets;
  for (const name of names) {
    let value = found.get(name) ?? null;
    if (!value) {
      value = await generatePdsSecret(name);
      redactor.register(value);
      await store.set(secretAccount(SANDBOX_SERVER_ID, name), value);
      created.push(name);
    }
    secrets[FIELD[name]] = value;
  }
  return { secrets, created };
}
