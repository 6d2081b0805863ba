import { lazy, Suspense } from 'react';

// The feed renders post text with @atproto/api's RichText, which brings the whole lexicon set
// (about 2 MB): it is loaded when the Feed screen is first opened, not with the window.
const FeedPanel = lazy(() => import('./FeedPanel.tsx').then((m) => ({ default: m.FeedPanel })));

export function FeedScreen() {
  return (
    <Suspense fallback={<p className="muted loading">Loading the feed…</p>}>
      <FeedPanel />
    </Suspense>
  );
}
