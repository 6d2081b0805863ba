import type { AccountRow, AccountStatus } from '../../../shared/contract/index.ts';

export type SortKey = 'handle' | 'did' | 'email' | 'createdAt' | 'status';
export interface SortOrder {
  key: SortKey;
  direction: 'ascending' | 'descending';
}

export const STATUS_LABEL: Record<AccountStatus, string> = {
  active: 'Active',
  takendown: 'Taken down',
  suspended: 'Suspended',
  deactivated: 'Deactivated',
  deleted: 'Deleted',
  unknown: 'Unknown',
};

/** Accounts whose handle, DID or email contains the query (case-insensitive), sorted. */
export function filterAndSort(accounts: AccountRow[], query: string, order: SortOrder): AccountRow[] {
  const q = query.trim().toLowerCase();
  const matching = q
    ? accounts.filter((a) => a.handle.toLowerCase().includes(q) || a.did.toLowerCase().includes(q) || (a.email ?? '').toLowerCase().includes(q))
    : accounts.slice();
  const value = (a: AccountRow): string => {
    switch (order.key) {
      case 'status':
        return STATUS_LABEL[a.status];
      case 'email':
        return a.email ?? '';
      case 'createdAt':
        return a.createdAt ?? '';
      default:
        return a[order.key];
    }
  };
  const sign = order.direction === 'ascending' ? 1 : -1;
  // Plain code-unit comparison: stable across locales and fast on 10,000 rows.
  return matching.sort((a, b) => {
    const x = value(a);
    const y = value(b);
    return x < y ? -sign : x > y ? sign : a.did < b.did ? -1 : 1;
  });
}
