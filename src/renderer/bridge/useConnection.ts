import { useEffect, useState, useSyncExternalStore } from 'react';
import { getBridge, type ConnectionStatus } from './index.ts';

export function useConnection(): ConnectionStatus {
  const handle = getBridge();
  return useSyncExternalStore(handle.onStatus, handle.getStatus);
}

/** Whole seconds until `at` (ms since epoch), ticking once a second; null when `at` is null. */
export function useSecondsUntil(at: number | null): number | null {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (at === null) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [at]);
  return at === null ? null : Math.max(0, Math.ceil((at - now) / 1000));
}
