import { useId, useRef, useState, type FormEvent } from 'react';
import type { FeedAccount } from '../../../shared/contract/index.ts';
import { MAX_IMAGES } from '../../../shared/contract/index.ts';
import { useActionsStore } from './actions-store.ts';
import { getBridge } from '../../bridge/index.ts';
import { base64OfBytes, draftProblem, imageProblem, isPostShortcut, postLength, webSizeProblem, type DraftImage } from './composer-state.ts';

interface PickedImage extends DraftImage {
  id: number;
  bytes: Uint8Array;
}

let imageIds = 0;
const NO_TARGET = undefined;

/**
 * Writing a post as the account, at the top of Following: text (the counter counts as Bluesky
 * does), up to four images each with its alt text, and a reply or quote picked on a post below.
 * Ctrl+Enter (Cmd+Enter) posts. The post shows at once; if the write fails, the draft comes back.
 */
export function Composer({ account }: { account: FeedAccount }) {
  const ids = { heading: useId(), counter: useId(), files: useId(), problem: useId() };
  const [text, setText] = useState('');
  const [images, setImages] = useState<PickedImage[]>([]);
  const [problem, setProblem] = useState<string | null>(null);
  const fileRef = useRef<HTMLInputElement>(null);
  const post = useActionsStore((s) => s.post);
  const target = useActionsStore((s) => s.draftTarget[account.did]) ?? NO_TARGET;
  const setTarget = useActionsStore((s) => s.setTarget);
  const count = postLength(text);

  const addFiles = async (files: FileList | null) => {
    if (!files) return;
    let added = images.length;
    const next: PickedImage[] = [];
    for (const file of Array.from(files)) {
      const why = imageProblem(file, added);
      if (why) {
        setProblem(why);
        continue;
      }
      next.push({ id: ++imageIds, name: file.name, mimeType: file.type, size: file.size, alt: '', bytes: new Uint8Array(await file.arrayBuffer()) });
      added++;
    }
    if (next.length) setImages((shown) => [...shown, ...next]);
    if (fileRef.current) fileRef.current.value = '';
  };

  const submit = async (e?: FormEvent) => {
    e?.preventDefault();
    const why = draftProblem(text, images, target?.mode === 'quote') ?? (getBridge().transport === 'web' ? webSizeProblem(text, images) : null);
    if (why) {
      setProblem(why);
      return;
    }
    setProblem(null);
    // Shown at once: the box empties and the post appears above the feed; a failure brings the draft back.
    const draft = { text, images, target };
    setText('');
    setImages([]);
    setTarget(account.did, undefined);
    const ok = await post(account, {
      did: account.did,
      text: draft.text,
      images: draft.images.map((i) => ({ bytes: base64OfBytes(i.bytes), mimeType: i.mimeType as 'image/png', alt: i.alt })),
      ...(draft.target?.mode === 'reply' && { reply: { parentUri: draft.target.post.uri } }),
      ...(draft.target?.mode === 'quote' && { quote: { uri: draft.target.post.uri } }),
    });
    if (!ok) {
      setText((now) => now || draft.text);
      setImages((now) => (now.length ? now : draft.images));
      if (draft.target) setTarget(account.did, draft.target);
    }
  };

  return (
    <form className="card feed-composer" aria-labelledby={ids.heading} onSubmit={(e) => void submit(e)} noValidate>
      <h2 id={ids.heading} className="visually-hidden">
        New post as @{account.handle}
      </h2>
      {target ? (
        <p className="composer-target">
          {target.mode === 'reply' ? 'Replying to' : 'Quoting'} <bdi>@{target.post.author.handle}</bdi>:{' '}
          <bdi className="muted">{target.post.text.slice(0, 80)}</bdi>{' '}
          <button type="button" className="button button-small" onClick={() => setTarget(account.did, undefined)}>
            {target.mode === 'reply' ? 'Cancel reply' : 'Cancel quote'}
          </button>
        </p>
      ) : null}
      <label htmlFor={`composer-${account.did}`} className="visually-hidden">
        Write a post
      </label>
      <textarea
        id={`composer-${account.did}`}
        className="input composer-text"
        value={text}
        rows={3}
        placeholder={target?.mode === 'reply' ? 'Write your reply' : 'Write a post'}
        aria-describedby={`${ids.counter} ${problem ? ids.problem : ''}`}
        aria-invalid={count.over || undefined}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => {
          if (isPostShortcut(e)) {
            e.preventDefault();
            void submit();
          }
        }}
      />
      <div className="composer-bar">
        <span id={ids.counter} className={count.over ? 'composer-count over' : 'composer-count muted small'} title={count.label}>
          {count.used} / 300<span className="visually-hidden"> ({count.label})</span>
        </span>
        <input
          id={ids.files}
          ref={fileRef}
          type="file"
          className="visually-hidden"
          accept="image/png,image/jpeg,image/webp,image/gif"
          multiple
          disabled={images.length >= MAX_IMAGES}
          onChange={(e) => void addFiles(e.target.files)}
        />
        {/* After the input, so the input's keyboard focus can show on the visible label (feed-actions.css). */}
        <label htmlFor={ids.files} className="button button-small">
          Add image
        </label>
        <button type="submit" className="button button-primary" aria-keyshortcuts="Control+Enter Meta+Enter">
          Post
        </button>
      </div>
      {images.length ? (
        <ul className="composer-images">
          {images.map((image, i) => (
            <li key={image.id}>
              <label>
                Alt text for image {i + 1} ({image.name})
                <textarea
                  className="input"
                  rows={2}
                  value={image.alt}
                  maxLength={2000}
                  onChange={(e) => setImages((shown) => shown.map((x) => (x.id === image.id ? { ...x, alt: e.target.value } : x)))}
                />
              </label>
              <button type="button" className="button button-small" onClick={() => setImages((shown) => shown.filter((x) => x.id !== image.id))}>
                Remove image {i + 1}
              </button>
            </li>
          ))}
        </ul>
      ) : null}
      {problem ? (
        <p id={ids.problem} className="error-message" role="alert">
          {problem}
        </p>
      ) : null}
    </form>
  );
}
