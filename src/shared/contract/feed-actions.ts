import { z } from 'zod';
import { countGraphemes, MAX_POST_GRAPHEMES } from '../graphemes.ts';
import { Did, Handle } from './accounts.ts';
import { call } from './define.ts';
import { PostView } from './feed.ts';

/**
 * Writes as a signed-in feed account (issue 12 item 7): post, reply, quote, like, repost, follow
 * and delete, each through the account's own PDS with @atproto/api. Limits are Bluesky's own
 * (app.bsky.feed.post: 300 graphemes; app.bsky.embed.images: 4 images, 1,000,000 bytes each), so
 * a post Hearth writes is one every other client can show.
 */

export const MAX_IMAGES = 4;
export const MAX_IMAGE_BYTES = 1_000_000;
export const MAX_ALT_CHARS = 2000;
export const IMAGE_MIME_TYPES = ['image/png', 'image/jpeg', 'image/webp', 'image/gif'] as const;

const AtUri = z
  .string()
  .max(8192)
  .regex(/^at:\/\/did:[a-z]+:[a-zA-Z0-9._:%-]+\/[a-zA-Z0-9.-]+\/[a-zA-Z0-9._:~-]{1,512}$/, 'not an at:// record URI');
export const PostUri = AtUri.refine((u) => u.split('/')[3] === 'app.bsky.feed.post', 'not the URI of a post');

/** base64 of at most MAX_IMAGE_BYTES bytes (4 characters per 3 bytes). */
const base64Max = Math.ceil(MAX_IMAGE_BYTES / 3) * 4;

export const PostImageInput = z
  .object({
    /** The image file's bytes, base64. Its type is checked from the bytes themselves in core. */
    bytes: z
      .string()
      .min(1, 'The image is empty.')
      .max(base64Max, `An image can be at most ${MAX_IMAGE_BYTES / 1_000_000} MB.`)
      .regex(/^[A-Za-z0-9+/]+={0,2}$/, 'The image is not base64.'),
    mimeType: z.enum(IMAGE_MIME_TYPES, { message: 'Only PNG, JPEG, WebP and GIF images can be posted.' }),
    alt: z.string().max(MAX_ALT_CHARS, `Alt text can be at most ${MAX_ALT_CHARS} characters.`).default(''),
  })
  .strict();
export type PostImageInput = z.input<typeof PostImageInput>;

export const NewPostInput = z
  .object({
    did: Did,
    text: z
      .string()
      .max(MAX_POST_GRAPHEMES * 40)
      .refine((t) => countGraphemes(t) <= MAX_POST_GRAPHEMES, `A post can be at most ${MAX_POST_GRAPHEMES} characters.`),
    images: z.array(PostImageInput).max(MAX_IMAGES, `A post can have at most ${MAX_IMAGES} images.`).default([]),
    reply: z.object({ parentUri: PostUri }).strict().optional(),
    quote: z.object({ uri: PostUri }).strict().optional(),
  })
  .strict()
  .refine((p) => p.text.trim().length > 0 || p.images.length > 0 || p.quote, { message: 'Write something, or add an image.', path: ['text'] });
export type NewPostInput = z.input<typeof NewPostInput>;

/** What the signed-in account has done to posts and accounts, so the feed shows Like/Unlike, Follow/Unfollow right. */
export const ViewerState = z.object({
  /** Post URI → the account's like record URI. */
  likes: z.record(z.string(), z.string()),
  /** Post URI → the account's repost record URI. */
  reposts: z.record(z.string(), z.string()),
  /** DIDs the account follows. */
  following: z.array(z.string()),
});
export type ViewerState = z.infer<typeof ViewerState>;

const Ok = z.object({ ok: z.literal(true) });
const Subject = z.object({ did: Did, uri: PostUri }).strict();
/** The account to follow: its DID, or its handle (resolved by core). */
const Account = z.object({ did: Did, subject: z.union([Did, z.string().trim().toLowerCase().pipe(Handle)], { message: 'Enter a handle (name.example.com) or a DID.' }) }).strict();

export const feedActionCalls = {
  /** A post, reply or quote; mentions and links become facets. Answers the new post as the feed shows it. */
  'feed.post': call(NewPostInput, z.object({ post: PostView })),
  'feed.like': call(Subject, z.object({ uri: z.string() })),
  'feed.unlike': call(Subject, Ok),
  'feed.repost': call(Subject, z.object({ uri: z.string() })),
  'feed.unrepost': call(Subject, Ok),
  /** Follows an account; its posts in the window are read into the feed at once. */
  'feed.follow': call(Account, z.object({ uri: z.string(), jobId: z.string().nullable() })),
  /** Unfollows an account; its posts leave the feed. */
  'feed.unfollow': call(Account, Ok),
  /** Deletes one of the account's own posts (a post of anyone else is refused). */
  'feed.deletePost': call(Subject, Ok),
  /** Likes and reposts of these posts by the account, and whom it follows. */
  'feed.viewer': call(z.object({ did: Did, uris: z.array(z.string().max(8192)).max(200) }).strict(), ViewerState),
};
