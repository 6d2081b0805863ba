import { z } from 'zod';

/**
 * The small, closed set of error codes every layer speaks. A code tells the UI what kind of
 * trouble it is (and so which action to offer); the message is for people; the hint says what to
 * do next. Never a stack trace, never a secret.
 */
export const ErrorCode = z.enum([
  'VALIDATION',
  'UNKNOWN_CALL',
  'NOT_FOUND',
  'AUTH',
  'HOST_KEY_MISMATCH',
  'NO_KEYCHAIN',
  'NETWORK',
  'CONFLICT',
  'CANCELLED',
  'UNAVAILABLE',
  'INTERNAL',
]);
export type ErrorCode = z.infer<typeof ErrorCode>;

export const ErrorInfo = z.object({
  code: ErrorCode,
  message: z.string(),
  hint: z.string(),
});
export type ErrorInfo = z.infer<typeof ErrorInfo>;

export const envelope = <T extends z.ZodType>(result: T) =>
  z.discriminatedUnion('ok', [
    z.object({ ok: z.literal(true), result }),
    z.object({ ok: z.literal(false), error: ErrorInfo }),
  ]);

export type Envelope<T> = { ok: true; result: T } | { ok: false; error: ErrorInfo };

/** An error that is safe to show: thrown by core, carried across processes as an ErrorInfo. */
export class HearthError extends Error {
  readonly code: ErrorCode;
  readonly hint: string;

  constructor(code: ErrorCode, message: string, hint = '') {
    super(message);
    this.name = 'HearthError';
    this.code = code;
    this.hint = hint;
  }

  toInfo(): ErrorInfo {
    return { code: this.code, message: this.message, hint: this.hint };
  }

  static from(info: ErrorInfo): HearthError {
    return new HearthError(info.code, info.message, info.hint);
  }
}

/** Formats zod issues as one readable sentence ("servers.0.name: Required; port: …"). */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => (issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
    .join('; ');
}
