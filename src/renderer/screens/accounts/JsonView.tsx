import type { ReactNode } from 'react';

const AT_URI = /"(at:\/\/did:[a-z]+:[a-zA-Z0-9._:%-]+\/[a-zA-Z0-9.-]+\/[a-zA-Z0-9._:~-]+)"/;
const LINK = /"\$link": "(b[a-z2-7]{20,})"/;

/**
 * A record (or any server-supplied JSON) as formatted text. Values are only ever text: a string
 * like `javascript:…` or `<img onerror>` shows as written. Record references (at://…) become
 * buttons that open the record here; blob references become links to the blob on the PDS.
 */
export function JsonView({
  value,
  label,
  onOpenRecord,
  blobUrl,
}: {
  value: unknown;
  label: string;
  onOpenRecord?: (uri: string) => void;
  /** The URL of a blob by CID, when the server is known. */
  blobUrl?: (cid: string) => string | null;
}) {
  const text = JSON.stringify(value, null, 2) ?? 'null';
  const lines = text.split('\n');
  return (
    <pre className="json" aria-label={label} tabIndex={0}>
      {lines.map((line, i) => (
        <span key={i} className="json-line">
          {renderLine(line, onOpenRecord, blobUrl)}
          {'\n'}
        </span>
      ))}
    </pre>
  );
}

function renderLine(line: string, onOpenRecord?: (uri: string) => void, blobUrl?: (cid: string) => string | null): ReactNode {
  const at = onOpenRecord ? AT_URI.exec(line) : null;
  if (at?.[1]) {
    const uri = at[1];
    return (
      <>
        {line.slice(0, at.index)}
        <button type="button" className="link-button" onClick={() => onOpenRecord?.(uri)} title="Open this record">
          {at[0]}
        </button>
        {line.slice(at.index + at[0].length)}
      </>
    );
  }
  const link = LINK.exec(line);
  const href = link?.[1] ? blobUrl?.(link[1]) : null;
  if (link?.[1] && href) {
    const start = link.index + link[0].indexOf('"b');
    return (
      <>
        {line.slice(0, start)}
        <a href={href} target="_blank" rel="noreferrer noopener" title="Open this blob">
          {`"${link[1]}"`}
        </a>
        {line.slice(start + link[1].length + 2)}
      </>
    );
  }
  return line;
}

/** A safe link to a blob on a PDS: only http(s) server URLs, parameters encoded. */
export function blobHref(serverUrl: string | undefined, did: string, cid: string): string | null {
  if (!serverUrl) return null;
  try {
    const url = new URL('/xrpc/com.atproto.sync.getBlob', serverUrl);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
    url.searchParams.set('did', did);
    url.searchParams.set('cid', cid);
    return url.toString();
  } catch {
    return null;
  }
}
