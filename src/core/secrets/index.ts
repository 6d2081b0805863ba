export { KeyringSecretStore, KEYCHAIN_SERVICE, NO_KEYCHAIN_HINT } from './keyring-store.ts';
export { PDS_SECRET_NAMES, secretAccount, type PdsSecretName, type SecretStore } from './secret-store.ts';
