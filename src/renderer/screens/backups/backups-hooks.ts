import { useEffect } from 'react';
import { getBridge } from '../../bridge/index.ts';

/** Calls fn whenever core says this server's backups changed. */
export function useBackupsChanged(serverId: string, fn: () => void): void {
  useEffect(() => getBridge().bridge.on('backups.changed', (payload) => {
    if (payload.serverId === serverId) fn();
  }), [serverId, fn]);
}

export function formatBytes(n: number | null): string {
  if (n === null) return '—';
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}
