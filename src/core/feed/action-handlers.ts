import type { Services } from '../services.ts';

const ok = { ok: true as const };

/** The feed's write calls (post, like, repost, follow, delete); the work is in FeedActions (actions.ts). */
export function feedActionHandlers({ feed }: Pick<Services, 'feed'>) {
  const a = feed.actions;
  return {
    'feed.post': async (input: Parameters<typeof a.post>[0]) => ({ post: await a.post(input) }),
    'feed.like': ({ did, uri }: { did: string; uri: string }) => a.like(did, uri),
    'feed.unlike': async ({ did, uri }: { did: string; uri: string }) => (await a.unlike(did, uri), ok),
    'feed.repost': ({ did, uri }: { did: string; uri: string }) => a.repost(did, uri),
    'feed.unrepost': async ({ did, uri }: { did: string; uri: string }) => (await a.unrepost(did, uri), ok),
    'feed.follow': ({ did, subject }: { did: string; subject: string }) => a.follow(did, subject),
    'feed.unfollow': async ({ did, subject }: { did: string; subject: string }) => (await a.unfollow(did, subject), ok),
    'feed.deletePost': async ({ did, uri }: { did: string; uri: string }) => (await a.deletePost(did, uri), ok),
    'feed.viewer': ({ did, uris }: { did: string; uris: string[] }) => a.viewer(did, uris),
  };
}
