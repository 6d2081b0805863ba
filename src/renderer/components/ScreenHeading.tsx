import type { ReactNode } from 'react';

/**
 * A screen's h1. Focusable (not in the tab order) so that navigation can move focus to the new
 * screen's heading, which screen readers then announce.
 */
export function ScreenHeading({ children }: { children: ReactNode }) {
  return (
    <h1 className="screen-title" tabIndex={-1} data-screen-heading="">
      {children}
    </h1>
  );
}
