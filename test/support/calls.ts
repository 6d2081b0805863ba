import type { HearthApp } from '../../src/core/app.ts';
import type { CallName, CallOutput } from '../../src/shared/contract/index.ts';
import type { ErrorInfo } from '../../src/shared/errors.ts';

/**
 * Contract calls against a test app as the windows make them: `call` returns the result or throws
 * (with the error's code, message and hint), `failure` returns the error of a call that must fail,
 * `settled` waits for a job to stop running and returns it.
 */
export function contractCalls(app: () => HearthApp) {
  const call = async <C extends CallName>(name: C, input: unknown): Promise<CallOutput<C>> => {
    const reply = await app().dispatch(name, input);
    if (!reply.ok) throw Object.assign(new Error(reply.error.message), reply.error);
    return reply.result as CallOutput<C>;
  };
  return {
    call,
    async settled(jobId: string, timeoutMs = 600_000): Promise<CallOutput<'jobs.get'>> {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const job = await call('jobs.get', { id: jobId });
        if (job.state !== 'running') return job;
        if (Date.now() > until) throw new Error(`job ${jobId} still running: ${job.step}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    },
    async failure(name: CallName, input: unknown): Promise<ErrorInfo> {
      const reply = await app().dispatch(name, input);
      if (reply.ok) throw new Error(`${name} succeeded but should have failed`);
      return reply.error;
    },
  };
}
