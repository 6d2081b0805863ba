import { createContext, useContext } from 'react';
import type { ProfileHeader } from '../../../../shared/contract/index.ts';

/**
 * The Profile and Thread views open on top of the list they were opened from (Following, This
 * server, another profile or thread): a trail of details, the last one shown, "Back" pops it. The
 * list underneath stays mounted, only hidden, so its pages and its scroll position survive.
 */
export type FeedDetail = { kind: 'profile'; actor: string } | { kind: 'thread'; uri: string };

export const sameDetail = (a: FeedDetail, b: FeedDetail): boolean =>
  a.kind === b.kind && (a.kind === 'profile' ? a.actor === (b as { actor: string }).actor : a.uri === (b as { uri: string }).uri);

/** Opening what is already shown adds nothing, so one "Back" always leaves it. */
export function pushDetail(trail: FeedDetail[], next: FeedDetail): FeedDetail[] {
  const top = trail.at(-1);
  return top && sameDetail(top, next) ? trail : [...trail, next];
}

export const popDetail = (trail: FeedDetail[]): FeedDetail[] => trail.slice(0, -1);

/** Where "Back" goes, in words for its label. */
export function backLabel(trail: FeedDetail[], listName: string): string {
  const below = trail.at(-2);
  if (!below) return `Back to ${listName}`;
  return below.kind === 'profile' ? 'Back to the profile' : 'Back to the thread';
}

/** What the cards offer when a view can open profiles and threads (null: plain text, as before). */
export interface FeedNav {
  openProfile(actor: string, from?: HTMLElement | null): void;
  openThread(uri: string, from?: HTMLElement | null): void;
}

export const FeedNavContext = createContext<FeedNav | null>(null);
export const useFeedNav = (): FeedNav | null => useContext(FeedNavContext);

/** The header's counts as read from the repo, with "at least" when counting stopped at its bound. */
export function countWords(counts: ProfileHeader['counts']): { posts: string; follows: string } {
  const more = counts.complete ? '' : 'at least ';
  return { posts: `${more}${counts.posts.toLocaleString('en-US')}`, follows: `${more}${counts.follows.toLocaleString('en-US')}` };
}

/** Indentation steps for a reply at `depth` (1 = direct reply); deep threads stop indenting so text keeps its width. */
export const replyIndent = (depth: number): number => Math.max(0, Math.min(depth - 1, 5));

/** The nearest ancestor that scrolls (the app's main column), or the document's scroller. */
export function scrollerOf(el: HTMLElement | null): HTMLElement | null {
  for (let node = el?.parentElement ?? null; node; node = node.parentElement) {
    const overflow = getComputedStyle(node).overflowY;
    if ((overflow === 'auto' || overflow === 'scroll') && node.scrollHeight > node.clientHeight) return node;
  }
  return (document.scrollingElement as HTMLElement | null) ?? null;
}
