import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, type ReactNode } from 'react';
import { ErrorMessage } from '../../components/ErrorMessage.tsx';
import { newPostsLabel, postKey } from './new-posts.ts';
import { PostCard } from './PostCard.tsx';
import type { PostPages } from './usePostPages.ts';

/**
 * A feed of posts (ARIA feed pattern): newer rows wait behind an "N new posts" pill, older pages
 * load when the end comes into view or with "Load more" (for keyboard users).
 */
export function PostList({
  pages,
  label,
  loadingText,
  empty,
  errorTitle,
}: {
  pages: PostPages;
  label: string;
  loadingText: string;
  /** What to say (and offer) when there are no posts. */
  empty: ReactNode;
  errorTitle: string;
}) {
  const { posts, hasMore, loadingMore, error, moreError, pollError, waiting, loadMore, showWaiting, checkNow } = pages;
  const listRef = useRef<HTMLDivElement>(null);
  const sentinelRef = useRef<HTMLDivElement>(null);
  const revealing = useRef(false);

  const handles = useMemo(() => {
    const map = new Map<string, string>();
    for (const post of posts ?? []) {
      map.set(post.author.did, post.author.handle);
      if (post.repostBy) map.set(post.repostBy.actor.did, post.repostBy.actor.handle);
    }
    return map;
  }, [posts]);
  const handleOf = useCallback((did: string) => handles.get(did) ?? null, [handles]);

  // The end of the list coming into view loads the next page.
  useEffect(() => {
    const sentinel = sentinelRef.current;
    if (!sentinel || !hasMore || typeof IntersectionObserver === 'undefined') return;
    const observer = new IntersectionObserver((entries) => entries.some((e) => e.isIntersecting) && loadMore(), { rootMargin: '600px 0px' });
    observer.observe(sentinel);
    return () => observer.disconnect();
  }, [hasMore, loadMore, posts]);

  // After the reader asked for the new posts: take them to the top, where the newest one is.
  useLayoutEffect(() => {
    if (!revealing.current) return;
    revealing.current = false;
    const list = listRef.current;
    list?.scrollIntoView({ block: 'start' });
    list?.querySelector<HTMLElement>('article')?.focus({ preventScroll: true });
  }, [posts]);

  if (error) {
    return (
      <ErrorMessage error={error} title={errorTitle}>
        <button type="button" className="button" onClick={checkNow}>
          Try again
        </button>
      </ErrorMessage>
    );
  }
  if (posts === null) {
    return (
      <p className="muted loading" role="status">
        {loadingText}
      </p>
    );
  }

  return (
    <div className="post-list-wrap">
      {waiting.length > 0 ? (
        <div className="new-posts">
          <button
            type="button"
            className="button button-primary new-posts-pill"
            onClick={() => {
              revealing.current = true;
              showWaiting();
            }}
          >
            Show {newPostsLabel(waiting.length)}
          </button>
        </div>
      ) : null}
      {/* Announced once, politely, without moving anything. */}
      <p className="visually-hidden" role="status">
        {waiting.length > 0 ? `${newPostsLabel(waiting.length)} above the list.` : ''}
      </p>
      {pollError ? <p className="muted small">Could not check for newer posts ({pollError.message}); Hearth keeps trying.</p> : null}
      {posts.length === 0 ? (
        <div className="empty">{empty}</div>
      ) : (
        <div ref={listRef} role="feed" aria-label={label} aria-busy={loadingMore} className="post-list">
          {posts.map((post, i) => (
            <PostCard key={postKey(post)} post={post} position={i + 1} total={hasMore ? -1 : posts.length} handleOf={handleOf} />
          ))}
        </div>
      )}
      {moreError ? (
        <ErrorMessage error={moreError} title="Could not load older posts.">
          <button type="button" className="button" onClick={loadMore}>
            Try again
          </button>
        </ErrorMessage>
      ) : null}
      {hasMore ? (
        <div ref={sentinelRef} className="post-list-end">
          <button type="button" className="button" onClick={loadMore} disabled={loadingMore} aria-busy={loadingMore || undefined}>
            {loadingMore ? 'Loading older posts…' : 'Load more'}
          </button>
        </div>
      ) : posts.length > 0 ? (
        <p className="muted small post-list-end">That is everything Hearth has read.</p>
      ) : null}
    </div>
  );
}
