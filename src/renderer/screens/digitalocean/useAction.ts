import { useCallback, useState } from 'react';
import type { ErrorInfo } from '../../../shared/errors.ts';
import { toErrorInfo } from '../../bridge/index.ts';

/** One button's call: busy while it runs, its error (message + hint) when it fails. */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const run = useCallback(async (action: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (err) {
      setError(toErrorInfo(err));
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, setError, run };
}
