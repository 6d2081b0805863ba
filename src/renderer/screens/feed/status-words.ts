import type { FeedStatus } from '../../../shared/contract/index.ts';

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/**
 * The status line in words: how many of the accounts read for the feed are done, catching up or
 * unreachable, and how many records were skipped as malformed.
 */
export function statusSummary(status: FeedStatus): string {
  const parts = [`${status.done} of ${plural(status.accounts, 'account')} read`];
  if (status.catchingUp > 0) parts.push(`${status.catchingUp} catching up`);
  if (status.unreachable.length > 0) parts.push(`${status.unreachable.length} unreachable`);
  if (status.malformedSkipped > 0) parts.push(`${plural(status.malformedSkipped, 'malformed record')} skipped`);
  parts.push(`${plural(status.storedPosts, 'post')} stored`);
  return parts.join(' · ');
}

/**
 * Live updates in words, once the first read made the feed live: how many accounts arrive as
 * they post, how many are being caught up, how many cannot be reached; null before that.
 */
export function liveSummary(status: FeedStatus): string | null {
  const live = status.live;
  if (!live || live.live + live.catchingUp + live.unreachable === 0) return null;
  const parts = [`Live: ${plural(live.live, 'account')} as they post`];
  if (live.catchingUp > 0) parts.push(`${live.catchingUp} catching up`);
  if (live.unreachable > 0) parts.push(`${live.unreachable} not reachable (retried)`);
  return parts.join(' · ');
}
