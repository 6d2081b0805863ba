import { useLayoutEffect, useRef } from 'react';
import type { LogLine } from '../../shared/contract/index.ts';
import { formatLogTime } from '../format.ts';

const LEVEL_LABEL: Record<LogLine['level'], string> = { info: 'Info', warn: 'Warning', error: 'Error' };

/** A job's log: time, level, message; follows new lines unless the reader has scrolled up. */
export function JobLog({ lines, label, emptyText = 'No log lines yet.' }: { lines: LogLine[]; label: string; emptyText?: string }) {
  const ref = useRef<HTMLDivElement>(null);
  const stick = useRef(true);

  useLayoutEffect(() => {
    const el = ref.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  }, [lines]);

  return (
    <div
      ref={ref}
      className="log"
      role="log"
      aria-label={label}
      // Scrollable: reachable by keyboard so it can be scrolled with the arrow keys.
      tabIndex={0}
      onScroll={(e) => {
        const el = e.currentTarget;
        stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
      }}
    >
      {lines.length === 0 ? (
        <p className="log-empty">{emptyText}</p>
      ) : (
        <ol className="log-lines">
          {lines.map((line, i) => (
            <li key={i} className={`log-line log-${line.level}`}>
              <time className="log-time" dateTime={line.at}>
                {formatLogTime(line.at)}
              </time>
              <span className="log-level">{LEVEL_LABEL[line.level]}</span>
              <span className="log-message">{line.message}</span>
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}
