/**
 * Droplet memory for an expected number of accounts, from the PDS hosting guide Hearth follows:
 * 1 GB for up to about 20 accounts, 2 GB up to about 100, more beyond.
 */
export function recommendedMemoryMb(accounts: number): number {
  if (accounts <= 20) return 1024;
  if (accounts <= 100) return 2048;
  return 4096;
}

export function sizeWarning(accounts: number, memoryMb: number): string | null {
  const wanted = recommendedMemoryMb(accounts);
  if (memoryMb >= wanted) return null;
  return `This size has ${formatMemory(memoryMb)} of memory; for ${accounts} accounts the guide recommends at least ${formatMemory(wanted)}. The PDS may run out of memory as accounts grow.`;
}

export const formatMemory = (mb: number): string => (mb >= 1024 ? `${Math.round((mb / 1024) * 10) / 10} GB` : `${mb} MB`);

export const formatUsd = (usd: number): string => `$${Number.isInteger(usd) ? usd : usd.toFixed(2)}`;

/** Droplet names: what DigitalOcean accepts and Hearth uses for the stack's resources. */
export const NAME_PATTERN = /^[a-z0-9]([a-z0-9-]{0,48}[a-z0-9])?$/;
export const HOSTNAME_PATTERN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
export const IPV4_PATTERN = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
