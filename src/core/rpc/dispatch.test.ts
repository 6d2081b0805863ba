import { describe, expect, it, vi } from 'vitest';
import { calls } from '../../shared/contract/index.ts';
import { HearthError } from '../../shared/errors.ts';
import { Redactor } from '../log/redact.ts';
import { createDispatcher, type Handlers } from './dispatch.ts';

/** Handlers that record whether they ran; each call gets a spy returning a valid answer. */
function spyHandlers(overrides: Partial<Handlers> = {}) {
  const ran: string[] = [];
  const handlers = new Proxy({} as Handlers, {
    get: (_t, name: string) =>
      (overrides as Record<string, unknown>)[name] ??
      (async () => {
        ran.push(name);
        return { cancelled: true };
      }),
  });
  return { handlers, ran };
}

describe('dispatch', () => {
  it('refuses an unknown call and runs nothing', async () => {
    const { handlers, ran } = spyHandlers();
    const dispatch = createDispatcher(handlers, new Redactor());
    const reply = await dispatch('secrets.dumpAll', {});
    expect(reply).toMatchObject({ ok: false, error: { code: 'UNKNOWN_CALL' } });
    expect(await dispatch('__proto__', {})).toMatchObject({ ok: false, error: { code: 'UNKNOWN_CALL' } });
    expect(await dispatch(42, {})).toMatchObject({ ok: false, error: { code: 'UNKNOWN_CALL' } });
    expect(ran).toEqual([]);
  });

  it('refuses invalid input with VALIDATION before any handler runs', async () => {
    const { handlers, ran } = spyHandlers();
    const dispatch = createDispatcher(handlers, new Redactor());
    const reply = await dispatch('jobs.cancel', { id: '../../etc/passwd' });
    expect(reply).toMatchObject({ ok: false, error: { code: 'VALIDATION' } });
    if (!reply.ok) expect(reply.error.message).toMatch(/id: not a job id/);
    expect(await dispatch('jobs.cancel', { id: '12345678-aaaa', extra: 1 })).toMatchObject({ ok: false, error: { code: 'VALIDATION' } });
    expect(await dispatch('jobs.cancel', 'not an object')).toMatchObject({ ok: false, error: { code: 'VALIDATION' } });
    expect(ran).toEqual([]);
  });

  it('passes valid input through and answers ok', async () => {
    const { handlers, ran } = spyHandlers();
    const dispatch = createDispatcher(handlers, new Redactor());
    expect(await dispatch('jobs.cancel', { id: '12345678-aaaa' })).toEqual({ ok: true, result: { cancelled: true } });
    expect(ran).toEqual(['jobs.cancel']);
  });

  it('refuses output outside the schema as INTERNAL, without leaking it', async () => {
    const onInternal = vi.fn();
    const { handlers } = spyHandlers({ 'jobs.cancel': async () => ({ cancelled: 'yes', secret: 'x' }) as never });
    const reply = await createDispatcher(handlers, new Redactor(), onInternal)('jobs.cancel', { id: '12345678-aaaa' });
    expect(reply).toMatchObject({ ok: false, error: { code: 'INTERNAL' } });
    expect(JSON.stringify(reply)).not.toContain('yes');
    expect(onInternal).toHaveBeenCalledOnce();
  });

  it('maps thrown errors to the envelope with no stack trace and no secret', async () => {
    const redactor = new Redactor();
    redactor.register('admin-pass-123456');
    const { handlers } = spyHandlers({
      'jobs.cancel': async () => {
        throw new HearthError('AUTH', 'The PDS refused admin-pass-123456.', 'Check the admin password.');
      },
      'jobs.list': async () => {
        throw new TypeError('Cannot read properties of undefined (reading "x") at /src/core/thing.ts:12');
      },
    });
    const dispatch = createDispatcher(handlers, redactor, () => undefined);
    expect(await dispatch('jobs.cancel', { id: '12345678-aaaa' })).toEqual({
      ok: false,
      error: { code: 'AUTH', message: 'The PDS refused [redacted].', hint: 'Check the admin password.' },
    });
    const internal = await dispatch('jobs.list', {});
    expect(internal).toMatchObject({ ok: false, error: { code: 'INTERNAL' } });
    expect(JSON.stringify(internal)).not.toMatch(/thing\.ts|TypeError|reading/);
  });

  it('every call in the contract has an input and an output schema', () => {
    for (const [name, spec] of Object.entries(calls)) {
      expect(spec.input, name).toBeDefined();
      expect(spec.output, name).toBeDefined();
      expect(spec.input.safeParse(undefined).success, `${name} must not accept undefined`).toBe(false);
    }
  });
});
