import { describe, expect, it } from 'vitest';
import type { FeedStatus } from '../../../shared/contract/index.ts';
import { liveSummary, statusSummary } from './status-words.ts';

const base: FeedStatus = {
  did: 'did:plc:me',
  accounts: 3,
  done: 3,
  catchingUp: 0,
  unreachable: [],
  malformedSkipped: 0,
  windowDays: 7,
  lastRefreshAt: null,
  refreshJobId: null,
  storedPosts: 1,
};

describe('statusSummary', () => {
  it('says how many accounts are read and how many posts are stored', () => {
    expect(statusSummary(base)).toBe('3 of 3 accounts read · 1 post stored');
  });

  it('names what is catching up, unreachable and skipped only when there is any', () => {
    const status: FeedStatus = {
      ...base,
      accounts: 5,
      done: 2,
      catchingUp: 2,
      unreachable: [{ did: 'did:plc:x', handle: 'x.test', reason: 'its server did not answer', retryAt: null }],
      malformedSkipped: 1,
      storedPosts: 40,
    };
    expect(statusSummary(status)).toBe('2 of 5 accounts read · 2 catching up · 1 unreachable · 1 malformed record skipped · 40 posts stored');
    expect(statusSummary({ ...base, malformedSkipped: 3 })).toContain('3 malformed records skipped');
  });
});

describe('liveSummary', () => {
  it('says how many accounts arrive live, catch up or cannot be reached, once the feed is live', () => {
    expect(liveSummary(base)).toBeNull();
    expect(liveSummary({ ...base, live: { live: 0, catchingUp: 0, unreachable: 0 } })).toBeNull();
    expect(liveSummary({ ...base, live: { live: 4, catchingUp: 0, unreachable: 0 } })).toBe('Live: 4 accounts as they post');
    expect(liveSummary({ ...base, live: { live: 1, catchingUp: 2, unreachable: 2 } })).toBe('Live: 1 account as they post · 2 catching up · 2 not reachable (retried)');
  });
});
