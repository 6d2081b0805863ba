import { useId, useLayoutEffect, useMemo, useRef, type KeyboardEvent, type ReactNode } from 'react';
import { useFeedStore } from '../store.ts';
import { backLabel, FeedNavContext, scrollerOf, type FeedDetail, type FeedNav } from './navigation.ts';
import { ProfileView } from './ProfileView.tsx';
import { ThreadView } from './ThreadView.tsx';

interface Saved {
  top: number;
  /** The control that opened the next level, focused again on the way back. */
  opener: HTMLElement | null;
}

/**
 * Lets the cards of `children` (a list) open profiles and threads, as the signed-in account. Every
 * level of the trail stays mounted, the ones below only hidden, so "Back" finds the list (or the
 * profile) with its pages loaded; the scroll position and focus are put back where they were.
 */
export function FeedNavigation({ listName, children }: { listName: string; children: ReactNode }) {
  const trail = useFeedStore((s) => s.trail);
  const openDetail = useFeedStore((s) => s.openDetail);
  const back = useFeedStore((s) => s.back);
  const viewer = useFeedStore((s) => (s.accounts?.find((a) => a.did === s.selected) ?? s.accounts?.[0])?.did ?? null);
  const rootRef = useRef<HTMLDivElement>(null);
  const saved = useRef<Saved[]>([]);
  const shown = useRef(trail.length);
  const baseId = useId();

  const nav = useMemo<FeedNav | null>(() => {
    if (!viewer) return null;
    const open = (detail: FeedDetail, from?: HTMLElement | null) => {
      const scroller = scrollerOf(rootRef.current);
      saved.current = [...saved.current.slice(0, useFeedStore.getState().trail.length), { top: scroller?.scrollTop ?? 0, opener: from ?? null }];
      openDetail(detail);
    };
    return { openProfile: (actor, from) => open({ kind: 'profile', actor }, from), openThread: (uri, from) => open({ kind: 'thread', uri }, from) };
  }, [viewer, openDetail]);

  // A new level starts at its top with focus on its heading; going back restores the level below.
  useLayoutEffect(() => {
    const before = shown.current;
    shown.current = trail.length;
    if (trail.length === before) return;
    const scroller = scrollerOf(rootRef.current);
    if (trail.length > before) {
      if (scroller) scroller.scrollTop = 0;
      document.getElementById(`${baseId}-${trail.length - 1}`)?.focus({ preventScroll: true });
      return;
    }
    const back = saved.current[trail.length];
    saved.current = saved.current.slice(0, trail.length);
    if (scroller && back) scroller.scrollTop = back.top;
    if (back?.opener?.isConnected) back.opener.focus({ preventScroll: true });
  }, [trail.length, baseId]);

  const onKeyDown = (e: KeyboardEvent) => {
    // Alt+Left is "back" in every browser; here it goes back one level.
    if (e.altKey && e.key === 'ArrowLeft' && trail.length > 0) {
      e.preventDefault();
      back();
    }
  };

  return (
    <FeedNavContext.Provider value={nav}>
      <div ref={rootRef} onKeyDown={onKeyDown}>
        <div hidden={trail.length > 0}>{children}</div>
        {viewer
          ? trail.map((detail, i) => (
              <div key={`${i}:${detail.kind}:${detail.kind === 'profile' ? detail.actor : detail.uri}`} hidden={i !== trail.length - 1} className="feed-detail">
                <div className="toolbar">
                  <button type="button" className="button feed-back" onClick={back} aria-keyshortcuts="Alt+ArrowLeft">
                    ← {backLabel(trail.slice(0, i + 1), listName)}
                  </button>
                </div>
                {detail.kind === 'profile' ? <ProfileView viewer={viewer} actor={detail.actor} headingId={`${baseId}-${i}`} /> : <ThreadView viewer={viewer} uri={detail.uri} headingId={`${baseId}-${i}`} />}
              </div>
            ))
          : null}
      </div>
    </FeedNavContext.Provider>
  );
}
