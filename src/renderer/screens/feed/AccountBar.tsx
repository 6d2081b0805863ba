import { useId, useState } from 'react';
import type { FeedAccount } from '../../../shared/contract/index.ts';
import { ConfirmDialog } from '../../components/ConfirmDialog.tsx';
import { useFeedStore } from './store.ts';

/** Who the feed is for: a switcher when several accounts are signed in, and Sign out. */
export function AccountBar({ accounts, current, onAddAccount }: { accounts: FeedAccount[]; current: FeedAccount; onAddAccount: () => void }) {
  const select = useFeedStore((s) => s.select);
  const signOut = useFeedStore((s) => s.signOut);
  const [deleteData, setDeleteData] = useState(false);
  const ids = { pick: useId(), del: useId() };

  return (
    <div className="feed-accounts toolbar">
      {accounts.length > 1 ? (
        <div className="field-inline">
          <label htmlFor={ids.pick}>Account</label>
          <select id={ids.pick} className="input" value={current.did} onChange={(e) => select(e.target.value)}>
            {accounts.map((a) => (
              <option key={a.did} value={a.did}>
                @{a.handle}
              </option>
            ))}
          </select>
        </div>
      ) : (
        <p className="feed-signed-in">
          Signed in as <bdi className="post-author">@{current.handle}</bdi>
        </p>
      )}
      <span className="grow" />
      <button type="button" className="button" onClick={onAddAccount}>
        Sign in another account
      </button>
      <ConfirmDialog
        trigger={
          <button type="button" className="button" onClick={() => setDeleteData(false)}>
            Sign out
          </button>
        }
        title={`Sign out @${current.handle}?`}
        description={
          <>
            Hearth forgets this account’s session (it is removed from the keychain). You can sign in again at any time.
            <label className="radio feed-signout-delete" htmlFor={ids.del}>
              <input id={ids.del} type="checkbox" checked={deleteData} onChange={(e) => setDeleteData(e.target.checked)} /> Also delete this
              account’s feed data on this computer
            </label>
          </>
        }
        confirmLabel="Sign out"
        cancelLabel="Stay signed in"
        destructive
        onConfirm={() => signOut(current.did, deleteData)}
      />
    </div>
  );
}
