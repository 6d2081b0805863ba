import type { ServiceHandlers, Services } from '../services.ts';
import { feedActionHandlers } from './action-handlers.ts';

/** The Feed screen's calls; the work is in FeedService (service.ts). */
export function feedHandlers({ feed }: Services): ServiceHandlers<'feed'> {
  return {
    'feed.signIn': ({ identifier, password }) => feed.signIn(identifier, password),
    'feed.accounts': async () => feed.accounts(),
    'feed.signOut': async ({ did, deleteData }) => {
      await feed.signOut(did, deleteData);
      return { ok: true as const };
    },
    'feed.following': ({ did, cursor, limit }) => feed.following(did, limit, cursor),
    'feed.server': ({ serverId, cursor, limit }) => feed.server(serverId, limit, cursor),
    'feed.status': ({ did }) => feed.status(did),
    'feed.profile': ({ did, actor, cursor, limit }) => feed.profile(did, actor, limit, cursor),
    'feed.thread': ({ did, uri }) => feed.thread(did, uri),
    'feed.refresh': ({ did, windowDays }) => feed.refresh(did, windowDays),
    ...feedActionHandlers({ feed }),
  };
}
