import type { z } from 'zod';
import { calls, isCallName, type CallName, type CallOutput, type Calls } from '../../shared/contract/index.ts';
import { describeIssues, HearthError, type Envelope, type ErrorInfo } from '../../shared/errors.ts';
import type { Redactor } from '../log/redact.ts';

/** One handler per call; input arrives already validated against the call's schema. */
export type Handlers = {
  [C in CallName]: (input: z.output<Calls[C]['input']>) => Promise<CallOutput<C>>;
};

/**
 * The single entry point for every call from any host (Electron IPC or the browser WebSocket):
 * refuses unknown calls, validates input before any handler runs, validates output before it
 * leaves, and turns every failure into an envelope that carries no stack trace and no secret.
 */
export function createDispatcher(handlers: Handlers, redactor: Redactor, onInternalError?: (err: unknown) => void) {
  return async function dispatch(name: unknown, rawInput: unknown): Promise<Envelope<unknown>> {
    if (!isCallName(name)) {
      return fail({
        code: 'UNKNOWN_CALL',
        message: `Hearth has no call named ${JSON.stringify(String(name).slice(0, 60))}.`,
        hint: 'The window and the app may be from different versions: restart Hearth.',
      });
    }
    const spec = calls[name];
    const parsed = spec.input.safeParse(rawInput ?? {});
    if (!parsed.success) {
      return fail({
        code: 'VALIDATION',
        message: `Invalid input for ${name}: ${describeIssues(parsed.error)}.`,
        hint: 'Check the values you entered and try again.',
      });
    }
    try {
      const handler = handlers[name] as (input: unknown) => Promise<unknown>;
      const result = await handler(parsed.data);
      const checked = spec.output.safeParse(result);
      if (!checked.success) {
        onInternalError?.(new Error(`${name} returned output outside its schema: ${describeIssues(checked.error)}`));
        return fail({
          code: 'INTERNAL',
          message: `Hearth produced an unexpected answer for ${name}.`,
          hint: 'This is a bug in Hearth; the details are in the app log.',
        });
      }
      return { ok: true, result: checked.data };
    } catch (err) {
      return fail(toErrorInfo(err, onInternalError));
    }
  };

  function fail(error: ErrorInfo): Envelope<never> {
    return {
      ok: false,
      error: { code: error.code, message: redactor.redact(error.message), hint: redactor.redact(error.hint) },
    };
  }
}

/** Maps anything thrown to what people may see: HearthErrors as they are, the rest as INTERNAL. */
export function toErrorInfo(err: unknown, onInternalError?: (err: unknown) => void): ErrorInfo {
  if (err instanceof HearthError) return err.toInfo();
  if (err instanceof Error && err.name === 'AbortError') {
    return { code: 'CANCELLED', message: 'The operation was cancelled.', hint: '' };
  }
  onInternalError?.(err);
  return {
    code: 'INTERNAL',
    message: 'Something went wrong inside Hearth.',
    hint: 'Try again; if it keeps happening, the app log has the details.',
  };
}
