export { KeyringSecretStore, KEYCHAIN_SERVICE, NO_KEYCHAIN_HINT } from './keyring-store.ts';
export { secretAccount, shareSecret, type SecretStore } from './secret-store.ts';
export * from './names.ts';
