/** The feed browser (issue 12): sign-in, local store, backfill, Following and This server views. */
export { feedHandlers } from './handlers.ts';
export { FeedService, type FeedServiceOptions } from './service.ts';
