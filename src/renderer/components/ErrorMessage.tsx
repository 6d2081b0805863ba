import type { ReactNode } from 'react';
import type { ErrorInfo } from '../../shared/errors.ts';

/** An error as people read it: what happened, then what to do. Never a raw object. */
export function ErrorMessage({
  error,
  title,
  children,
  live = true,
}: {
  error: ErrorInfo;
  /** A short lead-in, e.g. "Could not load the servers." */
  title?: string;
  /** Actions (Retry…). */
  children?: ReactNode;
  /** Announce it (role="alert"); off for errors that are part of a page rather than news. */
  live?: boolean;
}) {
  return (
    <div className="error-box" role={live ? 'alert' : undefined}>
      {title ? <p className="error-title">{title}</p> : null}
      <p className="error-message">{error.message}</p>
      {error.hint ? <p className="error-hint">{error.hint}</p> : null}
      {children ? <div className="actions">{children}</div> : null}
    </div>
  );
}
