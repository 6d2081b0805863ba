import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'react';
import type { PostView } from '../../../shared/contract/index.ts';
import type { ErrorInfo } from '../../../shared/errors.ts';
import { toErrorInfo } from '../../bridge/index.ts';
import { appendPage, mergeNewPosts, unseenPosts } from './new-posts.ts';

export type FetchPage = (cursor?: string) => Promise<{ posts: PostView[]; cursor: string | null }>;

export interface PostPages {
  /** null until the first page arrived. */
  posts: PostView[] | null;
  /** More (older) rows below. */
  hasMore: boolean;
  loadingMore: boolean;
  /** The first page could not be read. */
  error: ErrorInfo | null;
  /** An older page could not be read (the rows shown stay). */
  moreError: ErrorInfo | null;
  /** Looking for newer rows failed last time (shown quietly: the list still works). */
  pollError: ErrorInfo | null;
  /** Newer rows waiting behind the "N new posts" pill. */
  waiting: PostView[];
  loadMore(): void;
  showWaiting(): void;
  /** Reads the first page again now (after a refresh, on "Try again"). */
  checkNow(): void;
}

/**
 * A list of posts read page by page with the contract's keyset cursor, newest first, that looks
 * for newer rows every `pollMs`. Newer rows never enter the list by themselves once the reader
 * has something to read: they wait until showWaiting(), so the reading position never jumps.
 * `source` names what is listed (an account, a server); give the component a new key for a new
 * source, so a new list starts empty (answers for an old source are dropped all the same).
 */
export function usePostPages(source: string, fetchPage: FetchPage, pollMs: number): PostPages {
  const [posts, setPosts] = useState<PostView[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [moreError, setMoreError] = useState<ErrorInfo | null>(null);
  const [pollError, setPollError] = useState<ErrorInfo | null>(null);
  const [waiting, setWaiting] = useState<PostView[]>([]);

  // The latest of everything, for callbacks that outlive a render (timers, observers).
  const latest = useRef({ posts, cursor, loadingMore, fetchPage, source });
  useLayoutEffect(() => {
    latest.current = { ...latest.current, posts, cursor, fetchPage, source };
  });
  /** The source whose first page is being read, so two reads of it never overlap. */
  const checking = useRef<string | null>(null);

  const readFirstPage = useCallback(() => {
    const asked = latest.current.source;
    if (checking.current === asked) return;
    checking.current = asked;
    latest.current
      .fetchPage()
      .then(
        (page) => {
          if (latest.current.source !== asked) return;
          const shown = latest.current.posts;
          setError(null);
          setPollError(null);
          if (!shown || shown.length === 0) {
            // Nothing on screen to keep in place: show the page as it is.
            setPosts(page.posts);
            setCursor(page.cursor);
            setWaiting([]);
          } else {
            setWaiting(unseenPosts(shown, page.posts, latest.current.cursor !== null));
          }
        },
        (err: unknown) => {
          if (latest.current.source !== asked) return;
          if (latest.current.posts === null) setError(toErrorInfo(err));
          else setPollError(toErrorInfo(err));
        },
      )
      .finally(() => {
        if (checking.current === asked) checking.current = null;
      });
  }, []);

  useEffect(() => {
    readFirstPage();
    const timer = setInterval(() => {
      // A hidden window has nobody reading it; it catches up when it is shown.
      if (typeof document !== 'undefined' && document.hidden) return;
      readFirstPage();
    }, pollMs);
    return () => clearInterval(timer);
  }, [source, pollMs, readFirstPage]);

  const loadMore = useCallback(() => {
    const { cursor: next, loadingMore: busy, source: asked } = latest.current;
    if (!next || busy) return;
    latest.current.loadingMore = true;
    setLoadingMore(true);
    setMoreError(null);
    latest.current
      .fetchPage(next)
      .then(
        (page) => {
          if (latest.current.source !== asked || latest.current.cursor !== next) return;
          setPosts((shown) => appendPage(shown ?? [], page.posts));
          setCursor(page.cursor);
          latest.current.cursor = page.cursor;
        },
        (err: unknown) => {
          if (latest.current.source === asked) setMoreError(toErrorInfo(err));
        },
      )
      .finally(() => {
        latest.current.loadingMore = false;
        setLoadingMore(false);
      });
  }, []);

  const showWaiting = useCallback(() => {
    setPosts((shown) => mergeNewPosts(shown ?? [], waiting));
    setWaiting([]);
  }, [waiting]);

  const checkNow = readFirstPage;

  return { posts, hasMore: cursor !== null, loadingMore, error, moreError, pollError, waiting, loadMore, showWaiting, checkNow };
}
