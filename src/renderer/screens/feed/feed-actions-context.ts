import { createContext, useContext } from 'react';
import type { FeedAccount } from '../../../shared/contract/index.ts';

/**
 * The signed-in account a list of posts acts as (Following). Lists without one (This server)
 * show no action buttons. `place` says whether a card is in the feed or among the posts just
 * written (shown above it), so a post that is in both shows once.
 */
export interface FeedActionsScope {
  account: FeedAccount;
  place: 'feed' | 'posted';
}

export const FeedActionsContext = createContext<FeedActionsScope | null>(null);

export const useFeedActionsScope = () => useContext(FeedActionsContext);
