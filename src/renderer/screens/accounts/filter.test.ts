import { describe, expect, it } from 'vitest';
import type { AccountRow } from '../../../shared/contract/index.ts';
import { filterAndSort } from './filter.ts';

const row = (handle: string, email: string | null, createdAt: string, status: AccountRow['status'] = 'active'): AccountRow => ({
  did: `did:plc:${handle.split('.')[0]}`,
  handle,
  email,
  emailConfirmed: false,
  createdAt,
  status,
  invitesDisabled: false,
  records: null,
  blobsBytes: null,
});

const rows = [row('bob.test', 'bob@x.org', '2026-01-02'), row('alice.test', 'ALICE@y.org', '2026-01-03', 'takendown'), row('carol.test', null, '2026-01-01')];

describe('account search and sort', () => {
  it('finds by handle, DID or email, ignoring case', () => {
    const handles = (q: string) => filterAndSort(rows, q, { key: 'handle', direction: 'ascending' }).map((r) => r.handle);
    expect(handles('BOB')).toEqual(['bob.test']);
    expect(handles('did:plc:car')).toEqual(['carol.test']);
    expect(handles('alice@y')).toEqual(['alice.test']);
    expect(handles('  ')).toEqual(['alice.test', 'bob.test', 'carol.test']);
    expect(handles('nobody')).toEqual([]);
  });

  it('sorts by any column, both ways, without touching the input', () => {
    expect(filterAndSort(rows, '', { key: 'createdAt', direction: 'descending' }).map((r) => r.handle)).toEqual(['alice.test', 'bob.test', 'carol.test']);
    expect(filterAndSort(rows, '', { key: 'status', direction: 'ascending' }).map((r) => r.handle)).toEqual(['bob.test', 'carol.test', 'alice.test']);
    expect(rows.map((r) => r.handle)).toEqual(['bob.test', 'alice.test', 'carol.test']);
  });
});
