import { useId, useRef, useState, type FormEvent } from 'react';
import type { ErrorInfo } from '../../../shared/errors.ts';
import { toErrorInfo } from '../../bridge/index.ts';
import { ErrorMessage } from '../../components/ErrorMessage.tsx';
import { useFeedStore } from './store.ts';
import { useManagedAccounts } from './useManagedAccounts.ts';

/**
 * Password sign-in for any atproto account (account password or app password). The password
 * goes to core in one call and is dropped from the form whatever the answer: only core and the
 * keychain hold anything after that.
 */
export function SignInForm({ onSignedIn, onCancel }: { onSignedIn?: () => void; onCancel?: () => void }) {
  const signIn = useFeedStore((s) => s.signIn);
  const managed = useManagedAccounts();
  const [handle, setHandle] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const passwordRef = useRef<HTMLInputElement>(null);
  const ids = { handle: useId(), password: useId(), pick: useId(), hint: useId(), heading: useId() };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signIn(handle, password);
      setHandle('');
      onSignedIn?.();
    } catch (err) {
      setError(toErrorInfo(err));
      passwordRef.current?.focus();
    } finally {
      setPassword('');
      setBusy(false);
    }
  };

  return (
    <form className="card feed-signin" aria-labelledby={ids.heading} onSubmit={(e) => void submit(e)} noValidate>
      <h2 id={ids.heading} className="subheading">
        Sign in
      </h2>
      <p className="muted small">
        Any Bluesky or AT Protocol account. Use an app password if you have one; Hearth keeps the session in the system keychain, never the
        password.
      </p>
      {managed.length > 0 ? (
        <div className="field">
          <label htmlFor={ids.pick}>Accounts on your servers</label>
          <select
            id={ids.pick}
            className="input"
            value=""
            onChange={(e) => {
              if (!e.target.value) return;
              setHandle(e.target.value);
              passwordRef.current?.focus();
            }}
          >
            <option value="">Choose one to fill in its handle…</option>
            {managed.map((server) => (
              <optgroup key={server.serverId} label={server.serverName}>
                {server.handles.map((h) => (
                  <option key={h} value={h}>
                    {h}
                  </option>
                ))}
              </optgroup>
            ))}
          </select>
        </div>
      ) : null}
      <div className="field">
        <label htmlFor={ids.handle}>Handle</label>
        <input
          id={ids.handle}
          className="input"
          value={handle}
          onChange={(e) => setHandle(e.target.value)}
          placeholder="alice.bsky.social"
          autoComplete="username"
          autoCapitalize="none"
          spellCheck={false}
          aria-describedby={ids.hint}
          // Opened on purpose ("Sign in another account"): typing can start at once.
          autoFocus={Boolean(onCancel)}
          required
        />
        <p id={ids.hint} className="muted small">
          A handle or a DID.
        </p>
      </div>
      <div className="field">
        <label htmlFor={ids.password}>Password</label>
        <input
          id={ids.password}
          ref={passwordRef}
          className="input"
          type="password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          autoComplete="current-password"
          required
        />
      </div>
      {error ? <ErrorMessage error={error} title="Could not sign in." /> : null}
      <div className="actions">
        <button type="submit" className="button button-primary" disabled={busy} aria-busy={busy || undefined}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        {onCancel ? (
          <button type="button" className="button" onClick={onCancel} disabled={busy}>
            Cancel
          </button>
        ) : null}
      </div>
    </form>
  );
}
