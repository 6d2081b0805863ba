import { create } from 'zustand';
import type { FeedAccount, NewPostInput, PostView } from '../../../shared/contract/index.ts';
import type { ErrorInfo } from '../../../shared/errors.ts';
import { call, toErrorInfo } from '../../bridge/index.ts';
import * as o from './actions-state.ts';

/** A failed write, said on screen: what did not happen, why, and what to do. */
export interface ActionNotice {
  id: number;
  title: string;
  error: ErrorInfo;
}

interface ActionsState {
  byDid: Record<string, o.Optimistic>;
  /** The post the composer replies to or quotes, by account. */
  draftTarget: Record<string, { mode: 'reply' | 'quote'; post: PostView } | undefined>;
  notices: ActionNotice[];
  /** Handles of the authors replied to or quoted, to name them on the posts just written. */
  handles: Record<string, string>;
  loadViewer(did: string, uris: string[]): Promise<void>;
  toggle(did: string, kind: o.ToggleKind, key: string, on: boolean, what: string): Promise<void>;
  post(account: FeedAccount, input: NewPostInput): Promise<boolean>;
  deletePost(did: string, uri: string): void;
  setTarget(did: string, target: { mode: 'reply' | 'quote'; post: PostView } | undefined): void;
  dismiss(id: number): void;
}

let noticeId = 0;
let placeholderId = 0;

/**
 * Writes as the signed-in account, shown at once: each change is on screen before core answers
 * and is taken back, with a notice that says why, when the write fails.
 */
export const useActionsStore = create<ActionsState>()((set, get) => {
  const of = (did: string) => get().byDid[did] ?? o.emptyOptimistic();
  const update = (did: string, fn: (s: o.Optimistic) => o.Optimistic) => set((st) => ({ byDid: { ...st.byDid, [did]: fn(st.byDid[did] ?? o.emptyOptimistic()) } }));
  const notify = (title: string, err: unknown) => set((st) => ({ notices: [...st.notices.slice(-2), { id: ++noticeId, title, error: toErrorInfo(err) }] }));

  return {
    byDid: {},
    draftTarget: {},
    notices: [],
    handles: {},

    async loadViewer(did, uris) {
      try {
        const asked = uris.slice(0, 200);
        const viewer = await call('feed.viewer', { did, uris: asked });
        update(did, (s) => o.withViewer(s, viewer, asked));
      } catch {
        // The buttons show what was known before; the next page tries again.
      }
    },

    async toggle(did, kind, key, on, what) {
      if (o.isPending(of(did), kind, key)) return;
      const t = { kind, key, on };
      update(did, (s) => o.begin(s, t));
      try {
        let recordUri: string | null = null;
        if (kind === 'like') recordUri = on ? (await call('feed.like', { did, uri: key })).uri : (await call('feed.unlike', { did, uri: key }), null);
        else if (kind === 'repost') recordUri = on ? (await call('feed.repost', { did, uri: key })).uri : (await call('feed.unrepost', { did, uri: key }), null);
        else recordUri = on ? (await call('feed.follow', { did, subject: key })).uri : (await call('feed.unfollow', { did, subject: key }), null);
        update(did, (s) => o.succeed(s, t, recordUri));
        // A follow by handle is known by DID from here on (the cards' buttons ask by DID).
        if (kind === 'follow') void get().loadViewer(did, []);
      } catch (err) {
        update(did, (s) => o.fail(s, t));
        notify(`Could not ${what}; it was undone.`, err);
      }
    },

    async post(account, input) {
      const placeholder = o.placeholderPost(String(++placeholderId), { did: account.did, handle: account.handle }, input.text);
      update(account.did, (s) => o.beginPost(s, placeholder));
      try {
        const { post } = await call('feed.post', input);
        update(account.did, (s) => o.postSucceeded(s, placeholder.uri, post));
        return true;
      } catch (err) {
        update(account.did, (s) => o.postFailed(s, placeholder.uri));
        notify('Could not post; it was taken back (your text is still in the box).', err);
        return false;
      }
    },

    deletePost(did, uri) {
      update(did, (s) => o.hide(s, uri));
      call('feed.deletePost', { did, uri }).then(
        () => update(did, (s) => o.deleted(s, uri)),
        (err: unknown) => {
          update(did, (s) => o.unhide(s, uri));
          notify('Could not delete the post; it is back in the list.', err);
        },
      );
    },

    setTarget(did, target) {
      set((st) => ({
        draftTarget: { ...st.draftTarget, [did]: target },
        handles: target ? { ...st.handles, [target.post.author.did]: target.post.author.handle } : st.handles,
      }));
    },

    dismiss(id) {
      set((st) => ({ notices: st.notices.filter((n) => n.id !== id) }));
    },
  };
});
