/**
 * The feed's optimistic state, as pure functions (actions-store.ts runs them): what the signed-in
 * account has done as core last said (ViewerState), the changes on screen that core has not
 * confirmed yet, posts just written (shown on top at once) and posts being deleted (hidden at
 * once). A failed write drops its change, so the screen shows what was there before.
 */
import type { PostView, ViewerState } from '../../../shared/contract/index.ts';

export type ToggleKind = 'like' | 'repost' | 'follow';

export interface Toggle {
  kind: ToggleKind;
  /** A post URI (like, repost) or a DID (follow). */
  key: string;
  on: boolean;
}

export interface Optimistic {
  viewer: ViewerState;
  /** `${kind} ${key}` → on, while the write is out. */
  pending: Record<string, boolean>;
  /** Posts being deleted (not shown). */
  hidden: string[];
  /** Posts just written, newest first; a placeholder's uri starts with "pending:". */
  posted: PostView[];
}

export const emptyOptimistic = (): Optimistic => ({ viewer: { likes: {}, reposts: {}, following: [] }, pending: {}, hidden: [], posted: [] });

const slot = (t: Pick<Toggle, 'kind' | 'key'>) => `${t.kind} ${t.key}`;

/** Whether the account has liked / reposted the post, or follows the account, as the screen should show it. */
export function isOn(s: Optimistic, kind: ToggleKind, key: string): boolean {
  const pending = s.pending[slot({ kind, key })];
  if (pending !== undefined) return pending;
  if (kind === 'like') return key in s.viewer.likes;
  if (kind === 'repost') return key in s.viewer.reposts;
  return s.viewer.following.includes(key);
}

export const isPending = (s: Optimistic, kind: ToggleKind, key: string): boolean => slot({ kind, key }) in s.pending;

export function begin(s: Optimistic, t: Toggle): Optimistic {
  return { ...s, pending: { ...s.pending, [slot(t)]: t.on } };
}

const without = (pending: Record<string, boolean>, key: string) => {
  const { [key]: _gone, ...rest } = pending;
  return rest;
};

/** The write went through: core's state now says so. recordUri: the like/repost/follow record (when on). */
export function succeed(s: Optimistic, t: Toggle, recordUri: string | null): Optimistic {
  const pending = without(s.pending, slot(t));
  if (t.kind === 'follow') {
    const following = s.viewer.following.filter((d) => d !== t.key);
    return { ...s, pending, viewer: { ...s.viewer, following: t.on ? [...following, t.key] : following } };
  }
  const field = t.kind === 'like' ? 'likes' : 'reposts';
  const { [t.key]: _old, ...rest } = s.viewer[field];
  return { ...s, pending, viewer: { ...s.viewer, [field]: t.on ? { ...rest, [t.key]: recordUri ?? '' } : rest } };
}

/** The write failed: the change is dropped, so the screen shows the state from before. */
export function fail(s: Optimistic, t: Toggle): Optimistic {
  return { ...s, pending: without(s.pending, slot(t)) };
}

/**
 * A fresh answer from core about the posts `asked` (and whom the account follows); what is known
 * of other posts stays, and changes still out stay on top of it.
 */
export function withViewer(s: Optimistic, viewer: ViewerState, asked: string[]): Optimistic {
  const keep = (old: Record<string, string>, fresh: Record<string, string>) => {
    const out = { ...old };
    for (const uri of asked) delete out[uri];
    return { ...out, ...fresh };
  };
  return { ...s, viewer: { likes: keep(s.viewer.likes, viewer.likes), reposts: keep(s.viewer.reposts, viewer.reposts), following: viewer.following } };
}

export function placeholderPost(id: string, author: PostView['author'], text: string, now = new Date()): PostView {
  const at = now.toISOString();
  return {
    uri: `pending:${id}`,
    cid: '',
    author,
    text,
    facets: [],
    createdAt: at,
    indexedAt: at,
    sortAt: at,
    reply: null,
    repostBy: null,
    embeds: { images: [], external: null, quote: null },
  };
}

export const beginPost = (s: Optimistic, placeholder: PostView): Optimistic => ({ ...s, posted: [placeholder, ...s.posted] });

export const postSucceeded = (s: Optimistic, placeholderUri: string, post: PostView): Optimistic => ({
  ...s,
  posted: s.posted.map((p) => (p.uri === placeholderUri ? post : p)),
});

export const postFailed = (s: Optimistic, placeholderUri: string): Optimistic => ({ ...s, posted: s.posted.filter((p) => p.uri !== placeholderUri) });

export const hide = (s: Optimistic, uri: string): Optimistic => ({ ...s, hidden: [...s.hidden, uri] });

export const unhide = (s: Optimistic, uri: string): Optimistic => ({ ...s, hidden: s.hidden.filter((u) => u !== uri) });

/** A deleted post stays hidden; a just-written one leaves the "posted" list once deleted. */
export const deleted = (s: Optimistic, uri: string): Optimistic => ({ ...s, posted: s.posted.filter((p) => p.uri !== uri) });
