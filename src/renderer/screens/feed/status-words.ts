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
