import { describe, expect, it } from 'vitest';
import { backLabel, countWords, popDetail, pushDetail, replyIndent, type FeedDetail } from './navigation.ts';

const profile = (actor: string): FeedDetail => ({ kind: 'profile', actor });
const thread = (uri: string): FeedDetail => ({ kind: 'thread', uri });

describe('the trail of opened profiles and threads', () => {
  it('opens on top and goes back one step at a time', () => {
    let trail = pushDetail([], profile('did:plc:bob'));
    trail = pushDetail(trail, thread('at://did:plc:bob/app.bsky.feed.post/1'));
    expect(trail).toEqual([profile('did:plc:bob'), thread('at://did:plc:bob/app.bsky.feed.post/1')]);
    expect(backLabel(trail, 'Following')).toBe('Back to the profile');
    trail = popDetail(trail);
    expect(backLabel(trail, 'Following')).toBe('Back to Following');
    expect(popDetail(trail)).toEqual([]);
  });

  it('does not stack the same view twice, so one Back leaves it', () => {
    const trail = pushDetail([profile('did:plc:bob')], profile('did:plc:bob'));
    expect(trail).toEqual([profile('did:plc:bob')]);
    expect(pushDetail(trail, profile('did:plc:carol'))).toHaveLength(2);
  });
});

describe('profile counts in words', () => {
  it('writes the numbers with thousands separators', () => {
    expect(countWords({ posts: 1, follows: 1200, complete: true })).toEqual({ posts: '1', follows: '1,200' });
    expect(countWords({ posts: 0, follows: 0, complete: true })).toEqual({ posts: '0', follows: '0' });
  });

  it('says "at least" when the count stopped at Hearth’s bound', () => {
    expect(countWords({ posts: 100000, follows: 5, complete: false })).toEqual({ posts: 'at least 100,000', follows: 'at least 5' });
  });
});

describe('reply indentation', () => {
  it('indents each level and stops deep down', () => {
    expect([1, 2, 3, 6, 7, 40].map(replyIndent)).toEqual([0, 1, 2, 5, 5, 5]);
  });
});
