import { useEffect } from 'react';
import { useServersStore } from './servers.ts';

export const HEALTH_INTERVAL_MS = 15_000;

/**
 * While the calling screen is mounted and the page is visible: checks every server's health now
 * and every 15 s; pauses while the page is hidden and checks again as soon as it is shown.
 * Servers that appear meanwhile are checked at once.
 */
export function useHealthPolling(): void {
  const serverIds = useServersStore((s) => (s.servers ?? []).map((server) => server.id).join(' '));

  useEffect(() => {
    let timer: ReturnType<typeof setInterval> | null = null;
    const tick = () => void useServersStore.getState().checkAll();
    const resume = () => {
      if (timer !== null || document.hidden) return;
      tick();
      timer = setInterval(tick, HEALTH_INTERVAL_MS);
    };
    const pause = () => {
      if (timer !== null) clearInterval(timer);
      timer = null;
    };
    const onVisibility = () => (document.hidden ? pause() : resume());
    document.addEventListener('visibilitychange', onVisibility);
    resume();
    return () => {
      document.removeEventListener('visibilitychange', onVisibility);
      pause();
    };
  }, []);

  useEffect(() => {
    if (document.hidden) return;
    const { health, checkHealth } = useServersStore.getState();
    for (const id of serverIds.split(' ').filter(Boolean)) if (!health[id]) void checkHealth(id);
  }, [serverIds]);
}
