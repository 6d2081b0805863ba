/** What a running job's code gets: its cancel signal and the ways to report progress. */
export interface JobContext {
  readonly id: string;
  /** Aborted when the user cancels; pass it to every child process, socket and fetch. */
  readonly signal: AbortSignal;
  /** fraction is 0..1 for the whole job; step is the current step in plain words. */
  progress(fraction: number, step: string): void;
  log(message: string, level?: 'info' | 'warn' | 'error'): void;
}

/** Throws the standard cancellation error when the job was cancelled. */
export function throwIfCancelled(signal: AbortSignal): void {
  if (signal.aborted) throw abortError();
}

/** The error every cancelled operation throws; dispatch and jobs map it to CANCELLED. */
export function abortError(): Error {
  const err = new Error('The operation was cancelled.');
  err.name = 'AbortError';
  return err;
}

/** A part of a larger job: its progress (0..1) lands between from and to of the whole. */
export function jobPart(ctx: JobContext, from: number, to: number): JobContext {
  return { id: ctx.id, signal: ctx.signal, log: (message, level) => ctx.log(message, level), progress: (fraction, step) => ctx.progress(from + (to - from) * fraction, step) };
}

/** The same job, but one whose cancel never fires: for undoing work, which must not stop half-way. */
export function steadyContext(ctx: JobContext): JobContext {
  return { id: ctx.id, signal: new AbortController().signal, log: (message, level) => ctx.log(message, level), progress: (fraction, step) => ctx.progress(fraction, step) };
}
