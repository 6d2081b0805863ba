/** Accounts and invite codes on any PDS Hearth knows, as its admin (see handlers.ts). */
export { accountsHandlers } from './handlers.ts';
export { adminCredentials, serverAccess, serverRotationKey, type AdminCredentials, type ServerAccess } from './server-access.ts';
