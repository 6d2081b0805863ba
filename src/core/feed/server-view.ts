/**
 * "This server": every post of every account on a PDS Hearth manages, read straight from the repos
 * (listRepos, then listRecords of app.bsky.feed.post per repo) so it needs no relay or AppView.
 * The posts land in a store of their own (one per server) so that the pages after the first are
 * read locally with the same keyset cursor as the Following feed; reading the first page
 * re-reads the repos, so what it shows is what the server holds now (deleted posts go).
 */
import { throwIfCancelled } from '../jobs/index.ts';
import { POST } from './backfill.ts';
import type { FeedIdentity } from './identity.ts';
import { isRecordOf, parsePost } from './records.ts';
import { RepoReadError, type RepoReader } from './repo-reader.ts';
import type { FeedStore } from './store/feed-store.ts';
import { HearthError } from '../../shared/errors.ts';

const REPO_CONCURRENCY = 8;
const MAX_PAGES = 10_000;

export async function syncServerPosts(
  store: FeedStore,
  server: { name: string; pdsUrl: string },
  reader: RepoReader,
  identity: FeedIdentity,
  signal: AbortSignal,
): Promise<void> {
  const repos: string[] = [];
  let cursor: string | undefined;
  try {
    for (let page = 0; page < MAX_PAGES; page++) {
      const reply = await reader.listRepos(server.pdsUrl, cursor, signal);
      // Deactivated or taken-down repos cannot be read; they are not what the server shows.
      for (const repo of reply.repos) if (repo.active !== false) repos.push(repo.did);
      cursor = reply.repos.length > 0 ? reply.cursor : undefined;
      if (!cursor) break;
    }
  } catch (err) {
    if (err instanceof RepoReadError) throw new HearthError('NETWORK', `Hearth could not list the accounts on ${server.name}: ${err.message}.`, 'Check that the server is running, then try again.');
    throw err;
  }
  store.transaction(() => store.setAuthors(repos.map((did) => ({ did, followed: false }))));

  let next = 0;
  const worker = async () => {
    while (next < repos.length) {
      throwIfCancelled(signal);
      const did = repos[next++]!;
      try {
        // The handle from the DID document (describeRepo would have the PDS resolve it, which a PDS
        // on a private network or a sandbox may fail to do).
        const handle = (await identity.resolveDid(did).catch(() => null))?.handle ?? 'handle.invalid';
        store.putActor(did, handle, server.pdsUrl);
        const seen = new Set<string>();
        let recordsCursor: string | undefined;
        for (let page = 0; page < MAX_PAGES; page++) {
          const reply = await reader.listRecords(server.pdsUrl, did, POST, { limit: 100, signal, ...(recordsCursor && { cursor: recordsCursor }) });
          const seenAt = new Date();
          store.transaction(() => {
            for (const record of reply.records) {
              if (!isRecordOf(record.uri, did, POST)) continue;
              const parsed = parsePost(record);
              if (!parsed.ok) {
                store.addMalformed(record.uri, parsed.reason);
                continue;
              }
              seen.add(record.uri);
              store.putPost(parsed.value, seenAt, true);
            }
          });
          recordsCursor = reply.records.length > 0 ? reply.cursor : undefined;
          if (!recordsCursor) break;
        }
        store.transaction(() => store.removeUnseen(did, Number.MIN_SAFE_INTEGER, seen));
        store.markDone(did, handle, server.pdsUrl);
      } catch (err) {
        if (signal.aborted) throw err;
        store.markUnreachable(did, err instanceof Error ? err.message : String(err), null);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(REPO_CONCURRENCY, repos.length) }, worker));
}
