import { useCallback, useEffect, useRef } from 'react';

/** True when nothing useful has focus (it fell back to <body> after its element was removed). */
export function focusIsLost(): boolean {
  const active = document.activeElement;
  return !active || active === document.body || !active.isConnected;
}

/**
 * For panels whose buttons come and go with a job's state (Cancel disappears when the job ends):
 * returns a ref for a fallback element (a heading with tabIndex -1) and a function that moves
 * focus there if it was lost. It also runs after every change of `state`.
 */
export function useFocusFallback<T extends HTMLElement>(state: unknown) {
  const ref = useRef<T>(null);
  const rescue = useCallback(() => {
    if (focusIsLost()) ref.current?.focus();
  }, []);
  useEffect(() => {
    rescue();
  }, [state, rescue]);
  return [ref, rescue] as const;
}
