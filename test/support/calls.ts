import type { HearthApp } from '../../src/core/app.ts';
import type { CallName, CallOutput } from '../../src/shared/contract/index.ts';
import type { ErrorInfo } from '../../src/shared/errors.ts';

/**
 * Contract calls against a test app as the windows make them: `call` returns the result or throws
 * (with the error's code, message and hint), `failure` returns the error of a call that must fail.
 */
export function contractCalls(app: () => HearthApp) {
  return {
    async call<C extends CallName>(name: C, input: unknown): Promise<CallOutput<C>> {
      const reply = await app().dispatch(name, input);
      if (!reply.ok) throw Object.assign(new Error(reply.error.message), reply.error);
      return reply.result as CallOutput<C>;
    },
    async failure(name: CallName, input: unknown): Promise<ErrorInfo> {
      const reply = await app().dispatch(name, input);
      if (reply.ok) throw new Error(`${name} succeeded but should have failed`);
      return reply.error;
    },
  };
}
