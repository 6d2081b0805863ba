import { useCallback, useEffect, useId, useState, type FormEvent, type ReactNode } from 'react';
import type { FeedAccount } from '../../../shared/contract/index.ts';
import { ErrorMessage } from '../../components/ErrorMessage.tsx';
import { useActionsStore } from './actions-store.ts';
import { Composer } from './Composer.tsx';
import { FeedActionsContext } from './feed-actions-context.ts';
import { PostCard } from './PostCard.tsx';
import './feed-actions.css';

/**
 * Following with actions: the composer, "Follow an account", notices of writes that failed, the
 * posts just written (above the feed until the feed itself has them), and the scope that gives
 * every card below its buttons.
 */
export function FeedActionsArea({ account, visibleUris, children }: { account: FeedAccount; visibleUris: string[]; children: ReactNode }) {
  const posted = useActionsStore((s) => s.byDid[account.did]?.posted) ?? [];
  const hidden = useActionsStore((s) => s.byDid[account.did]?.hidden) ?? [];
  const notices = useActionsStore((s) => s.notices);
  const dismiss = useActionsStore((s) => s.dismiss);
  const loadViewer = useActionsStore((s) => s.loadViewer);
  const handles = useActionsStore((s) => s.handles);
  const handleOf = useCallback((did: string) => handles[did] ?? null, [handles]);
  const key = visibleUris.join(' ');
  useEffect(() => {
    void loadViewer(account.did, key ? key.split(' ') : []);
  }, [account.did, key, loadViewer]);
  const shown = posted.filter((p) => !hidden.includes(p.uri));

  return (
    <FeedActionsContext.Provider value={{ account, place: 'feed' }}>
      <Composer account={account} />
      <FollowBox account={account} />
      {notices.map((n) => (
        <ErrorMessage key={n.id} error={n.error} title={n.title}>
          <button type="button" className="button" onClick={() => dismiss(n.id)}>
            Dismiss
          </button>
        </ErrorMessage>
      ))}
      {shown.length ? (
        <FeedActionsContext.Provider value={{ account, place: 'posted' }}>
          <section aria-label="Just posted" className="post-list feed-posted">
            {shown.map((p, i) => (
              <PostCard key={p.uri} post={p} position={i + 1} total={shown.length} handleOf={handleOf} />
            ))}
          </section>
        </FeedActionsContext.Provider>
      ) : null}
      {children}
    </FeedActionsContext.Provider>
  );
}

function FollowBox({ account }: { account: FeedAccount }) {
  const id = useId();
  const [handle, setHandle] = useState('');
  const toggle = useActionsStore((s) => s.toggle);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const subject = handle.trim().replace(/^@/, '');
    if (!subject) return;
    setHandle('');
    void toggle(account.did, 'follow', subject, true, `follow @${subject}`);
  };
  return (
    <form className="toolbar feed-follow" onSubmit={submit}>
      <div className="field-inline">
        <label htmlFor={id}>Follow an account</label>
        <input id={id} className="input" value={handle} onChange={(e) => setHandle(e.target.value)} placeholder="name.example.com" autoCapitalize="none" spellCheck={false} />
      </div>
      <button type="submit" className="button">
        Follow
      </button>
    </form>
  );
}
