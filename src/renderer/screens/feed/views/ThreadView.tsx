import { useCallback, useEffect, useMemo, useState } from 'react';
import type { PostView, ThreadItem, ThreadView as Thread } from '../../../../shared/contract/index.ts';
import type { ErrorInfo } from '../../../../shared/errors.ts';
import { call, toErrorInfo } from '../../../bridge/index.ts';
import { ErrorMessage } from '../../../components/ErrorMessage.tsx';
import { PostCard } from '../PostCard.tsx';
import { replyIndent } from './navigation.ts';

/** A thread read from its authors' repos: parents above, the post highlighted, replies below. */
export function ThreadView({ viewer, uri, headingId }: { viewer: string; uri: string; headingId: string }) {
  const [thread, setThread] = useState<Thread | null>(null);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const read = useCallback(
    () =>
      call('feed.thread', { did: viewer, uri }).then(
        (t) => {
          setError(null);
          setThread(t);
        },
        (err: unknown) => setError(toErrorInfo(err)),
      ),
    [viewer, uri],
  );
  useEffect(() => {
    void read();
  }, [read]);
  const load = () => void read();

  const handles = useMemo(() => {
    const map = new Map<string, string>();
    const add = (p: PostView | null | undefined) => p && map.set(p.author.did, p.author.handle);
    for (const item of thread?.parents ?? []) add(item.post);
    add(thread?.post.post);
    for (const r of thread?.replies ?? []) add(r.post);
    return map;
  }, [thread]);
  const handleOf = useCallback((did: string) => handles.get(did) ?? null, [handles]);

  const heading = (
    <h2 id={headingId} className="feed-detail-title" tabIndex={-1}>
      Thread
    </h2>
  );
  if (error) {
    return (
      <section aria-labelledby={headingId}>
        {heading}
        <ErrorMessage error={error} title="Could not read the thread.">
          <button type="button" className="button" onClick={load}>
            Try again
          </button>
        </ErrorMessage>
      </section>
    );
  }
  if (!thread) {
    return (
      <section aria-labelledby={headingId}>
        {heading}
        <p className="muted loading" role="status">
          Reading the thread from its authors’ servers…
        </p>
      </section>
    );
  }
  const total = thread.parents.length + 1 + thread.replies.length;
  return (
    <section aria-labelledby={headingId} className="feed-thread">
      {heading}
      <div role="feed" aria-label="Thread" className="post-list thread-list">
        {thread.parents.map((item, i) => (
          <Item key={item.uri} item={item} position={i + 1} total={total} handleOf={handleOf} className="thread-parent" />
        ))}
        <Item item={thread.post} position={thread.parents.length + 1} total={total} handleOf={handleOf} className="thread-focus" current />
        {thread.replies.length ? (
          thread.replies.map((r, i) => (
            <div key={r.post.uri} className="thread-reply" style={{ marginInlineStart: `${replyIndent(r.depth) * 1.25}rem` }}>
              <PostCard post={r.post} position={thread.parents.length + 2 + i} total={total} handleOf={handleOf} />
            </div>
          ))
        ) : (
          <p className="muted small">No replies found.</p>
        )}
      </div>
      <p className="muted small thread-sources">{thread.repliesFrom}</p>
    </section>
  );
}

function Item({ item, position, total, handleOf, className, current }: { item: ThreadItem; position: number; total: number; handleOf: (did: string) => string | null; className: string; current?: boolean }) {
  return (
    <div className={className} aria-current={current ? 'true' : undefined}>
      {item.post ? (
        <PostCard post={item.post} position={position} total={total} handleOf={handleOf} />
      ) : (
        <article className="post post-missing" aria-posinset={position} aria-setsize={total} data-post-uri={item.uri}>
          <p>{item.missing ?? 'This post was deleted or cannot be read.'}</p>
          <p className="muted small uri">{item.uri}</p>
        </article>
      )}
    </div>
  );
}
