import { useState } from 'react';
import type { ErrorInfo } from '../../shared/errors.ts';
import { toErrorInfo } from '../bridge/index.ts';

/**
 * The run of a dialog's confirm button: busy while the call is out, its error (message + hint)
 * kept for the dialog to show, `onDone` only when it succeeded so the dialog closes then.
 */
export function useConfirm(onConfirm: () => Promise<void> | void, onDone: () => void) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ErrorInfo | null>(null);

  const confirm = async () => {
    setBusy(true);
    setError(null);
    try {
      await onConfirm();
      onDone();
    } catch (err) {
      setError(toErrorInfo(err));
    } finally {
      setBusy(false);
    }
  };

  return { busy, error, confirm, clearError: () => setError(null) };
}
