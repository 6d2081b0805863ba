import { memo, useId } from 'react';
import type { FeedImage, FeedLinkCard, PostView } from '../../../shared/contract/index.ts';
import { formatDateTime } from '../../format.ts';
import { PostActions, useHiddenPost } from './PostActions.tsx';
import { PostText } from './PostText.tsx';
import { blobUrl, safeHttpUrl } from './safe-url.ts';
import { useFeedNav } from './views/navigation.ts';

/** The DID inside an at:// URI, to name a reply's parent by handle when its author is known here. */
export function uriDid(uri: string): string | null {
  const match = /^at:\/\/(did:[a-z0-9]+:[a-zA-Z0-9._:%-]+)\//.exec(uri);
  return match?.[1] ?? null;
}

/** One row of a feed: the post (or repost), rendered from untrusted data as text only. */
export const PostCard = memo(function PostCard({
  post,
  position,
  total,
  handleOf,
}: {
  post: PostView;
  position: number;
  /** -1 while more pages may follow (aria-setsize). */
  total: number;
  handleOf: (did: string) => string | null;
}) {
  const authorId = useId();
  const parentDid = post.reply ? uriDid(post.reply.parentUri) : null;
  const parentHandle = parentDid ? handleOf(parentDid) : null;
  const { images, external, quote } = post.embeds;
  // Set where the view can open profiles and threads (views/FeedNavigation.tsx); plain text elsewhere.
  const nav = useFeedNav();
  // Following shows a post being deleted as gone at once (PostActions.tsx).
  const hidden = useHiddenPost(post);
  if (hidden) return null;

  return (
    <article className="post" aria-labelledby={authorId} aria-posinset={position} aria-setsize={total} tabIndex={-1} data-post-uri={post.uri}>
      {post.repostBy ? (
        <p className="post-context">
          Reposted by{' '}
          {nav ? (
            <button type="button" className="post-link" onClick={(e) => post.repostBy && nav.openProfile(post.repostBy.actor.did, e.currentTarget)}>
              <bdi>@{post.repostBy.actor.handle}</bdi>
            </button>
          ) : (
            <bdi>@{post.repostBy.actor.handle}</bdi>
          )}
        </p>
      ) : null}
      <header className="post-header">
        {nav ? (
          <button type="button" id={authorId} className="post-author post-link" onClick={(e) => nav.openProfile(post.author.did, e.currentTarget)}>
            <bdi>@{post.author.handle}</bdi>
          </button>
        ) : (
          <span id={authorId} className="post-author">
            <bdi>@{post.author.handle}</bdi>
          </span>
        )}
        {nav ? (
          <button type="button" className="post-time post-link muted small" title="Open thread" aria-label={`Open thread (posted ${formatDateTime(post.createdAt)})`} onClick={(e) => nav.openThread(post.uri, e.currentTarget)}>
            <time dateTime={post.createdAt}>{formatDateTime(post.createdAt)}</time>
          </button>
        ) : (
          <time className="post-time muted small" dateTime={post.createdAt} title={post.createdAt}>
            {formatDateTime(post.createdAt)}
          </time>
        )}
      </header>
      {post.reply ? (
        <p className="post-context">
          Reply to {parentHandle ? <bdi>@{parentHandle}</bdi> : <bdi className="uri">{post.reply.parentUri}</bdi>}
        </p>
      ) : null}
      {post.text ? <PostText text={post.text} facets={post.facets} /> : null}
      {images.length > 0 ? <PostImages images={images} /> : null}
      {external ? <LinkCard card={external} /> : null}
      {quote ? (
        <p className="post-quote">
          Quotes <bdi className="uri">{quote.uri}</bdi>
        </p>
      ) : null}
      <PostActions post={post} />
    </article>
  );
});

function PostImages({ images }: { images: FeedImage[] }) {
  return (
    <ul className={`post-images post-images-${Math.min(images.length, 4)}`}>
      {images.map((image, i) => {
        const src = blobUrl(image.blob);
        const alt = image.alt.trim() || 'Image without a description';
        const ratio = image.aspectRatio;
        const sized = ratio && ratio.width > 0 && ratio.height > 0 && Number.isFinite(ratio.width / ratio.height);
        return (
          <li key={i}>
            {src ? (
              <img
                src={src}
                alt={alt}
                loading="lazy"
                decoding="async"
                referrerPolicy="no-referrer"
                className="post-image"
                style={sized ? { aspectRatio: `${ratio.width} / ${ratio.height}` } : undefined}
              />
            ) : (
              <p className="post-image-missing" dir="auto">
                Image (its server address is not http or https, so it is not loaded): {alt}
              </p>
            )}
          </li>
        );
      })}
    </ul>
  );
}

function LinkCard({ card }: { card: FeedLinkCard }) {
  const href = safeHttpUrl(card.uri);
  const thumb = card.thumb ? blobUrl(card.thumb) : null;
  const body = (
    <>
      {thumb ? <img src={thumb} alt="" loading="lazy" decoding="async" referrerPolicy="no-referrer" className="post-card-thumb" /> : null}
      <span className="post-card-body">
        {card.title ? (
          <span className="post-card-title" dir="auto">
            {card.title}
          </span>
        ) : null}
        {card.description ? (
          <span className="post-card-description" dir="auto">
            {card.description}
          </span>
        ) : null}
        <span className="post-card-url url">{href ? new URL(href).host : card.uri}</span>
      </span>
    </>
  );
  return href ? (
    <a className="post-card" href={href} target="_blank" rel="noopener noreferrer">
      {body}
    </a>
  ) : (
    <div className="post-card">{body}</div>
  );
}
