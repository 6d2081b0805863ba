import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useRef } from 'react';
import type { AccountRow } from '../../../shared/contract/index.ts';
import { formatDateTime } from '../../format.ts';
import { STATUS_LABEL, type SortKey, type SortOrder } from './filter.ts';

const ROW_HEIGHT = 44;

const COLUMNS: { key: SortKey | null; label: string; counts?: true }[] = [
  { key: 'handle', label: 'Handle' },
  { key: 'did', label: 'DID' },
  { key: 'email', label: 'Email' },
  { key: 'createdAt', label: 'Created' },
  { key: 'status', label: 'Status' },
  { key: null, label: 'Records', counts: true },
  { key: null, label: 'Blobs', counts: true },
];

/**
 * The accounts as an ARIA table whose body is virtualized: only the rows in view (plus a few)
 * are in the DOM, so 10,000 accounts scroll as smoothly as 10. Every value is text.
 */
export function AccountsTable({
  rows,
  total,
  order,
  onSort,
  selected,
  onSelect,
}: {
  rows: AccountRow[];
  total: number;
  order: SortOrder;
  onSort: (key: SortKey) => void;
  selected: string | null;
  onSelect: (did: string) => void;
}) {
  const scrollRef = useRef<HTMLDivElement>(null);
  // The virtualizer's functions change on every scroll; this component is not memoized by the
  // compiler, which is what the library requires.
  // eslint-disable-next-line react-hooks/incompatible-library
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 8,
  });
  const items = virtualizer.getVirtualItems();
  // Record and blob counts only show when the server reports them (a PDS's API does not).
  const counts = rows.some((r) => r.records !== null || r.blobsBytes !== null);
  const rowClass = counts ? 'acct-row acct-row-counts' : 'acct-row';

  // For the benchmark: when the first rows of a new list have been painted (the frame after
  // the commit, then the task after that frame).
  const firstRowsShown = rows.length > 0 && items.length > 0;
  useEffect(() => {
    if (!firstRowsShown) return;
    const frame = requestAnimationFrame(() => setTimeout(() => performance.mark('hearth:accounts:rows'), 0));
    return () => cancelAnimationFrame(frame);
  }, [firstRowsShown, rows]);

  return (
    <div role="table" aria-label="Accounts" aria-rowcount={rows.length + 1} className="acct-table">
      <div role="rowgroup" className="acct-head">
        <div role="row" aria-rowindex={1} className={`${rowClass} acct-row-head`}>
          {COLUMNS.filter((column) => counts || !column.counts).map((column) => {
            const sorted = column.key !== null && order.key === column.key;
            return (
              <div key={column.label} role="columnheader" aria-sort={sorted ? order.direction : undefined} className="acct-cell">
                {column.key ? (
                  <button type="button" className="sort-button" onClick={() => onSort(column.key!)}>
                    {column.label}
                    <span aria-hidden="true">{sorted ? (order.direction === 'ascending' ? ' ▲' : ' ▼') : ''}</span>
                  </button>
                ) : (
                  column.label
                )}
              </div>
            );
          })}
        </div>
      </div>
      <div ref={scrollRef} role="rowgroup" className="acct-scroll" tabIndex={-1}>
        {rows.length === 0 ? (
          <div role="row" className="acct-row acct-empty">
            <div role="cell" className="acct-cell">
              {total === 0 ? 'No accounts on this server yet.' : 'No account matches the search.'}
            </div>
          </div>
        ) : (
          <div role="presentation" className="acct-spacer" style={{ height: virtualizer.getTotalSize() }}>
            {items.map((item) => {
              const account = rows[item.index]!;
              return (
                <div
                  key={account.did}
                  role="row"
                  aria-rowindex={item.index + 2}
                  aria-selected={selected === account.did}
                  data-account-row=""
                  className={`${rowClass} acct-row-body${selected === account.did ? ' acct-row-selected' : ''}`}
                  style={{ transform: `translateY(${item.start}px)`, height: ROW_HEIGHT }}
                >
                  <div role="cell" className="acct-cell">
                    <button type="button" className="link-button acct-handle" onClick={() => onSelect(account.did)}>
                      {account.handle || '(no handle)'}
                    </button>
                  </div>
                  <div role="cell" className="acct-cell mono small" title={account.did}>
                    {account.did}
                  </div>
                  <div role="cell" className="acct-cell" title={account.email ?? undefined}>
                    {account.email ?? '—'}
                  </div>
                  <div role="cell" className="acct-cell">
                    {account.createdAt ? <time dateTime={account.createdAt}>{formatDateTime(account.createdAt)}</time> : '—'}
                  </div>
                  <div role="cell" className="acct-cell">
                    <span className={`badge acct-status-${account.status}`}>{STATUS_LABEL[account.status]}</span>
                  </div>
                  {counts ? (
                    <>
                      <div role="cell" className="acct-cell">
                        {account.records ?? '—'}
                      </div>
                      <div role="cell" className="acct-cell">
                        {account.blobsBytes === null ? '—' : formatBytes(account.blobsBytes)}
                      </div>
                    </>
                  ) : null}
                </div>
              );
            })}
          </div>
        )}
      </div>
    </div>
  );
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
