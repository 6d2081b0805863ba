import { describe, expect, it } from 'vitest';
import { hostFinding, postFinding, profileFinding, repoFinding, sequenceFinding } from './findings.ts';

const RELAY = 'https://bsky.network';
const ACCOUNT = { did: 'did:plc:abc', handle: 'ada.example.com' };

describe('what a relay’s and an AppView’s answers mean, in words', () => {
  it('names each host state with what to do', () => {
    expect(hostFinding(RELAY, 'pds.example.com', { kind: 'status', status: 'offline', seq: 7, accountCount: 1 })).toMatchObject({
      status: 'fail',
      title: 'bsky.network cannot reach this server',
      detail: 'The relay tried to connect to pds.example.com (1 account, last event #7) and could not.',
    });
    expect(hostFinding(RELAY, 'pds.example.com', { kind: 'status', status: 'offline', seq: undefined, accountCount: undefined }).fix).toContain('ports 443 and 80');
    expect(hostFinding(RELAY, 'h', { kind: 'status', status: 'idle', seq: undefined, accountCount: undefined })).toMatchObject({ status: 'warn' });
    expect(hostFinding(RELAY, 'h', { kind: 'status', status: 'something-new', seq: undefined, accountCount: undefined })).toMatchObject({ status: 'unknown', detail: 'The relay says “something-new” about h.' });
    expect(hostFinding(RELAY, 'h', { kind: 'no-answer', message: 'No answer within 10 s.' })).toMatchObject({ status: 'unknown', fix: expect.stringContaining('Try again later') });
  });

  it('tells a desync from a sequence that is ahead', () => {
    expect(sequenceFinding(RELAY, 42, 'behind').status).toBe('fail');
    expect(sequenceFinding(RELAY, 42, 'ahead')).toMatchObject({ status: 'ok', fix: null });
    expect(sequenceFinding(RELAY, 42, 'unknown').status).toBe('unknown');
  });

  it('explains inactive accounts and a revision behind the server; revisions compare as TIDs', () => {
    expect(repoFinding(RELAY, ACCOUNT, null, { kind: 'status', active: false, status: 'desynchronized', rev: undefined })).toMatchObject({
      status: 'fail',
      detail: 'The relay holds the account as out of step: the relay lost track of its commits; its posts do not go out through it.',
      fix: expect.stringContaining('Post something'),
    });
    expect(repoFinding(RELAY, ACCOUNT, null, { kind: 'status', active: false, status: 'deactivated', rev: undefined }).fix).toContain('Activate the account');
    expect(repoFinding(RELAY, ACCOUNT, '3lb2', { kind: 'status', active: true, status: undefined, rev: '3lb1' }).status).toBe('warn');
    expect(repoFinding(RELAY, ACCOUNT, '3lb2', { kind: 'status', active: true, status: undefined, rev: '3lb2' }).status).toBe('ok');
    // A relay ahead of the server (the server restored from an older backup) is not "behind".
    expect(repoFinding(RELAY, ACCOUNT, '3lb1', { kind: 'status', active: true, status: undefined, rev: '3lb2' }).status).toBe('ok');
  });

  it('says when the AppView shows another handle, and when the newest post is missing', () => {
    expect(profileFinding('https://public.api.bsky.app', ACCOUNT, { kind: 'found', handle: 'other.example.com' })).toMatchObject({ status: 'fail', detail: 'The AppView shows it as @other.example.com.' });
    expect(postFinding('https://public.api.bsky.app', ACCOUNT, { kind: 'missing', uri: 'at://did:plc:abc/app.bsky.feed.post/1', createdAt: '2026-12-07T10:00:00Z' })).toMatchObject({
      status: 'warn',
      detail: "at://did:plc:abc/app.bsky.feed.post/1 (written 2026-12-07T10:00:00Z) is in the account's repository but the AppView does not show it.",
    });
  });
});
