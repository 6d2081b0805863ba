import { useCallback, useState } from 'react';
import type { ProfileHeader } from '../../../../shared/contract/index.ts';
import { call } from '../../../bridge/index.ts';
import { PostList } from '../PostList.tsx';
import { blobUrl } from '../safe-url.ts';
import { usePostPages } from '../usePostPages.ts';
import { countWords } from './navigation.ts';

/** Looking for newer posts re-reads the header, and so the repo's counts: far less often than the Following list. */
const PROFILE_POLL_MS = 60_000;
const PAGE = 50;

/** A profile read from the account's own PDS: header, counts, and its posts with endless scroll. */
export function ProfileView({ viewer, actor, headingId }: { viewer: string; actor: string; headingId: string }) {
  const [header, setHeader] = useState<ProfileHeader | null>(null);
  const fetchPage = useCallback(
    async (cursor?: string) => {
      const page = await call('feed.profile', { did: viewer, actor, limit: PAGE, ...(cursor ? { cursor } : {}) });
      if (page.profile) setHeader(page.profile);
      return page;
    },
    [viewer, actor],
  );
  const pages = usePostPages(`profile:${viewer}:${actor}`, fetchPage, PROFILE_POLL_MS);
  const name = header ? `@${header.handle}` : actor.startsWith('did:') ? actor : `@${actor}`;

  return (
    <section className="feed-profile" aria-labelledby={headingId}>
      <ProfileHeaderCard header={header} fallbackName={name} headingId={headingId} />
      <PostList
        pages={pages}
        label={`Posts by ${name}`}
        loadingText={`Reading the posts of ${name} from its server…`}
        errorTitle={`Could not read the profile of ${name}.`}
        empty={<p>{name} has no posts or reposts.</p>}
      />
    </section>
  );
}

/** The header; every field is untrusted text from the profile record, shown as text. */
export function ProfileHeaderCard({ header, fallbackName, headingId }: { header: ProfileHeader | null; fallbackName: string; headingId: string }) {
  const avatar = header?.avatar ? blobUrl(header.avatar) : null;
  const banner = header?.banner ? blobUrl(header.banner) : null;
  const counts = header ? countWords(header.counts) : null;
  return (
    <header className="profile-header">
      {banner ? <img className="profile-banner" src={banner} alt="" loading="lazy" decoding="async" referrerPolicy="no-referrer" /> : null}
      <div className="profile-identity">
        {avatar ? <img className="profile-avatar" src={avatar} alt="" decoding="async" referrerPolicy="no-referrer" /> : <span className="profile-avatar profile-avatar-none" aria-hidden="true" />}
        <div className="profile-names">
          <h2 id={headingId} className="profile-name" tabIndex={-1}>
            <bdi dir="auto">{header?.displayName ?? fallbackName}</bdi>
          </h2>
          {header?.displayName ? (
            <p className="profile-handle muted">
              <bdi>@{header.handle}</bdi>
            </p>
          ) : null}
        </div>
        {header && !header.isViewer ? <span className="profile-follows small">{header.viewerFollows ? 'You follow this account' : 'You do not follow this account'}</span> : null}
      </div>
      {header?.description ? (
        <p className="profile-description" dir="auto">
          {header.description}
        </p>
      ) : null}
      {header && counts ? (
        <dl className="profile-counts">
          <div>
            <dt>Posts</dt>
            <dd>{counts.posts}</dd>
          </div>
          <div>
            <dt>Follows</dt>
            <dd>{counts.follows}</dd>
          </div>
          <div>
            <dt>Followers</dt>
            <dd>not known</dd>
          </div>
        </dl>
      ) : (
        <p className="muted small" role="status">
          Reading the profile from its server…
        </p>
      )}
      {header ? (
        <p className="muted small">
          Read from <span className="url">{header.pdsUrl}</span>, the account’s own server. {header.followersNote}
        </p>
      ) : null}
    </header>
  );
}
