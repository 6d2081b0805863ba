import { useCallback, useEffect, useState } from 'react';
import type { CallInput, CallName, CallOutput } from '../../../shared/contract/index.ts';
import type { ErrorInfo } from '../../../shared/errors.ts';
import { call, toErrorInfo } from '../../bridge/index.ts';

/**
 * The answer of one call, made when the component mounts, when its input or refreshToken
 * changes, and on reload(). A late answer for an older input is dropped.
 */
export function useCallResult<C extends CallName>(
  name: C,
  input: CallInput<C>,
  refreshToken = 0,
): { data: CallOutput<C> | null; error: ErrorInfo | null; reload: () => void } {
  const [data, setData] = useState<CallOutput<C> | null>(null);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [version, setVersion] = useState(0);
  // The input by value, so a new object with the same fields does not call again.
  const key = JSON.stringify(input);

  useEffect(() => {
    let current = true;
    call(name, JSON.parse(key) as CallInput<C>).then(
      (next) => {
        if (!current) return;
        setData(next);
        setError(null);
      },
      (err: unknown) => current && setError(toErrorInfo(err)),
    );
    return () => {
      current = false;
    };
  }, [name, key, version, refreshToken]);

  return { data, error, reload: useCallback(() => setVersion((v) => v + 1), []) };
}
