import type { JobState } from '../shared/contract/index.ts';

const time = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

function parse(iso: string | null | undefined): Date | null {
  if (!iso) return null;
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? null : d;
}

const dayAndTime = new Intl.DateTimeFormat(undefined, {
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

/** Log timestamps: "14:03:07" today, with the day before it otherwise. */
export function formatLogTime(iso: string): string {
  const d = parse(iso);
  if (!d) return iso;
  return d.toDateString() === new Date().toDateString() ? time.format(d) : dayAndTime.format(d);
}

/** "12 Mar 2026, 14:03" (locale-dependent); today's dates show the time only. */
export function formatDateTime(iso: string | null | undefined): string {
  const d = parse(iso);
  if (!d) return iso ?? '';
  const now = new Date();
  if (d.toDateString() === now.toDateString()) return time.format(d);
  return dateTime.format(d);
}

/** "850 ms", "12 s", "3 min 4 s", "2 h 5 min". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function durationBetween(start: string, end: string | null): string | null {
  const a = parse(start);
  const b = parse(end);
  return a && b ? formatDuration(b.getTime() - a.getTime()) : null;
}

export function percent(fraction: number): string {
  return `${Math.round(Math.min(1, Math.max(0, fraction)) * 100)}%`;
}

export const JOB_STATE_LABEL: Record<JobState, string> = {
  running: 'Running',
  succeeded: 'Succeeded',
  failed: 'Failed',
  cancelled: 'Cancelled',
  interrupted: 'Interrupted (Hearth closed while it ran)',
};
