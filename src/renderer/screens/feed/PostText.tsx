import { useMemo } from 'react';
import { segmentText } from './rich-text.ts';

/**
 * A post's text as React text nodes (facets are checked again here: core's word is not taken
 * for what reaches the page): mentions and tags as styled spans, http/https links as
 * links that open outside Hearth; nothing in it is ever read as markup.
 */
export function PostText({ text, facets }: { text: string; facets: unknown }) {
  const segments = useMemo(() => segmentText(text, facets), [text, facets]);
  return (
    <p className="post-text" dir="auto">
      {segments.map((segment, i) => {
        switch (segment.kind) {
          case 'text':
            return <span key={i}>{segment.text}</span>;
          case 'link':
            return (
              <a key={i} href={segment.href} target="_blank" rel="noopener noreferrer" className="post-link">
                {segment.text}
              </a>
            );
          case 'mention':
            return (
              <span key={i} className="post-mention" title={segment.did}>
                {segment.text}
              </span>
            );
          case 'tag':
            return (
              <span key={i} className="post-tag">
                {segment.text}
              </span>
            );
        }
      })}
    </p>
  );
}
