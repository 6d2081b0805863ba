/**
 * The window's Content-Security-Policy, one for every way Hearth shows it: the built index.html
 * (a meta tag), the desktop app's hearth:// protocol and the browser-mode host (headers). No
 * inline script or style: all CSS is in files, and React style props go through the CSSOM, which
 * CSP does not restrict.
 *
 * Images are the one thing from elsewhere: posts' pictures and link-card thumbnails come from each
 * author's own PDS (getBlob), which can be any https server, or the sandbox's plain http on this
 * computer. An image cannot run script; nothing else (scripts, styles, frames, connections) may
 * leave the app's own origin.
 */
export const POST_IMAGE_SOURCES = ['https:', 'http://127.0.0.1:*', 'http://localhost:*'];

export function contentSecurityPolicy(options: { connectSrc?: string[]; header?: boolean } = {}): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    `img-src 'self' data: blob: ${POST_IMAGE_SOURCES.join(' ')}`,
    "font-src 'self'",
    ['connect-src', "'self'", ...(options.connectSrc ?? [])].join(' '),
    // Only a header can say this (a meta tag cannot): no page may frame the window.
    ...(options.header ? ["frame-ancestors 'none'"] : []),
    "base-uri 'none'",
    "form-action 'none'",
    "object-src 'none'",
  ].join('; ');
}
