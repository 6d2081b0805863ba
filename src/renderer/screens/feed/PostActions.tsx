import type { PostView } from '../../../shared/contract/index.ts';
import { ConfirmDialog } from '../../components/ConfirmDialog.tsx';
import { isOn, isPending, type Optimistic } from './actions-state.ts';
import { useActionsStore } from './actions-store.ts';
import { useFeedActionsScope } from './feed-actions-context.ts';

const EMPTY: Optimistic = { viewer: { likes: {}, reposts: {}, following: [] }, pending: {}, hidden: [], posted: [] };

/** Whether a card should not be shown: being deleted, or (in the feed) already shown among the posts just written. */
export function useHiddenPost(post: PostView): boolean {
  const scope = useFeedActionsScope();
  return useActionsStore((st) => {
    if (!scope) return false;
    const s = st.byDid[scope.account.did];
    if (!s) return false;
    if (s.hidden.includes(post.uri) && !post.repostBy) return true;
    return scope.place === 'feed' && !post.repostBy && s.posted.some((p) => p.uri === post.uri);
  });
}

/** Reply, Quote, Like, Repost, Follow and (own posts) Delete, for one post of a feed. */
export function PostActions({ post }: { post: PostView }) {
  const scope = useFeedActionsScope();
  const s = useActionsStore((st) => (scope ? st.byDid[scope.account.did] : undefined)) ?? EMPTY;
  const toggle = useActionsStore((st) => st.toggle);
  const setTarget = useActionsStore((st) => st.setTarget);
  const deletePost = useActionsStore((st) => st.deletePost);
  if (!scope || post.uri.startsWith('pending:')) return null;
  const did = scope.account.did;
  const author = `@${post.author.handle}`;
  const liked = isOn(s, 'like', post.uri);
  const reposted = isOn(s, 'repost', post.uri);
  const own = post.author.did === did;
  const following = isOn(s, 'follow', post.author.did);
  const compose = (mode: 'reply' | 'quote') => {
    setTarget(did, { mode, post });
    document.getElementById(`composer-${did}`)?.focus();
  };

  return (
    <div className="post-actions" role="group" aria-label={`Actions for the post by ${author}`}>
      <button type="button" className="button button-small" onClick={() => compose('reply')}>
        Reply
      </button>
      <button type="button" className="button button-small" onClick={() => compose('quote')}>
        Quote
      </button>
      <button
        type="button"
        className="button button-small"
        aria-pressed={liked}
        aria-busy={isPending(s, 'like', post.uri) || undefined}
        onClick={() => void toggle(did, 'like', post.uri, !liked, liked ? `unlike the post by ${author}` : `like the post by ${author}`)}
      >
        {liked ? 'Unlike' : 'Like'}
      </button>
      <button
        type="button"
        className="button button-small"
        aria-pressed={reposted}
        aria-busy={isPending(s, 'repost', post.uri) || undefined}
        onClick={() => void toggle(did, 'repost', post.uri, !reposted, reposted ? `undo the repost of ${author}` : `repost the post by ${author}`)}
      >
        {reposted ? 'Undo repost' : 'Repost'}
      </button>
      {own ? (
        <ConfirmDialog
          trigger={
            <button type="button" className="button button-small button-danger">
              Delete
            </button>
          }
          title="Delete this post?"
          description="It is deleted from your repo on your server; other apps stop showing it. This cannot be undone."
          confirmLabel="Delete post"
          cancelLabel="Keep it"
          destructive
          onConfirm={() => deletePost(did, post.uri)}
          onFocusLost={() => document.getElementById(`composer-${did}`)?.focus()}
        />
      ) : (
        <button
          type="button"
          className="button button-small"
          aria-pressed={following}
          aria-busy={isPending(s, 'follow', post.author.did) || undefined}
          onClick={() => void toggle(did, 'follow', post.author.did, !following, following ? `unfollow ${author}` : `follow ${author}`)}
        >
          {following ? `Unfollow ${author}` : `Follow ${author}`}
        </button>
      )}
    </div>
  );
}
