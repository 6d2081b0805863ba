import { useState } from 'react';

export interface NoticeText {
  title: string;
  body: string;
  /** A value shown once (a generated password, new invite codes) with a copy button. */
  secret: { label: string; value: string } | null;
}

/** The outcome of an action, announced politely; stays until dismissed. */
export function Notice({ notice, onDismiss }: { notice: NoticeText; onDismiss: () => void }) {
  const [copied, setCopied] = useState(false);
  return (
    <div className="notice" role="status">
      <p className="notice-title">{notice.title}</p>
      <p>{notice.body}</p>
      {notice.secret ? (
        <p>
          <span className="muted">{notice.secret.label}: </span>
          <code className="mono secret-value" aria-label={notice.secret.label}>
            {notice.secret.value}
          </code>
        </p>
      ) : null}
      <div className="actions">
        {notice.secret ? (
          <button
            type="button"
            className="button"
            onClick={() => {
              void navigator.clipboard?.writeText(notice.secret!.value).then(
                () => setCopied(true),
                () => setCopied(false),
              );
            }}
          >
            {copied ? 'Copied' : 'Copy'}
          </button>
        ) : null}
        <button type="button" className="button" onClick={onDismiss}>
          Dismiss
        </button>
      </div>
    </div>
  );
}
