import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket as ServerSocket } from 'ws';
import type { WireRequest } from '../../shared/api.ts';
import { createWebSocketBridge, defaultRpcUrl, type ConnectionStatus, type WebSocketBridge } from './ws-client.ts';
import { call, CallError, setBridgeForTesting } from './index.ts';

/** A stand-in for the web host's /rpc endpoint: answers every call with a handler's envelope. */
function startHost(port = 0, handler: (req: WireRequest, ws: ServerSocket) => unknown = echo) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port, path: '/rpc' });
  const sockets = new Set<ServerSocket>();
  const requests: WireRequest[] = [];
  wss.on('connection', (ws) => {
    sockets.add(ws);
    ws.on('close', () => sockets.delete(ws));
    ws.on('message', (data) => {
      const req = JSON.parse(String(data)) as WireRequest;
      requests.push(req);
      const reply = handler(req, ws);
      if (reply !== undefined) ws.send(JSON.stringify(reply));
    });
  });
  const ready = new Promise<number>((resolve) => wss.on('listening', () => resolve((wss.address() as { port: number }).port)));
  return {
    wss,
    sockets,
    requests,
    ready,
    emit(event: string, payload: unknown) {
      for (const ws of sockets) ws.send(JSON.stringify({ type: 'event', event, payload }));
    },
    dropAll() {
      for (const ws of sockets) ws.terminate();
    },
    close: () => new Promise<void>((resolve) => {
      for (const ws of sockets) ws.terminate();
      wss.close(() => resolve());
    }),
  };
}

function echo(req: WireRequest) {
  return { type: 'reply', id: req.id, envelope: { ok: true, result: { call: req.call, input: req.input } } };
}

function waitForStatus(bridge: WebSocketBridge, predicate: (s: ConnectionStatus) => boolean, timeoutMs = 5000) {
  if (predicate(bridge.status)) return Promise.resolve(bridge.status);
  return new Promise<ConnectionStatus>((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`status never matched; last: ${JSON.stringify(bridge.status)}`));
    }, timeoutMs);
    const off = bridge.onStatus((s) => {
      if (!predicate(s)) return;
      clearTimeout(timer);
      off();
      resolve(s);
    });
  });
}

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
  setBridgeForTesting(null);
});

function bridgeTo(port: number, options: Partial<Parameters<typeof createWebSocketBridge>[0]> = {}) {
  const bridge = createWebSocketBridge({ url: `ws://127.0.0.1:${port}/rpc`, minDelayMs: 20, maxDelayMs: 100, ...options });
  cleanups.push(() => bridge.close());
  return bridge;
}

describe('browser WebSocket bridge', () => {
  it('queues calls made while connecting, then matches replies to requests by id', async () => {
    const host = startHost();
    cleanups.push(host.close);
    const bridge = bridgeTo(await host.ready);
    expect(bridge.status.state).toBe('connecting');
    const [a, b] = await Promise.all([
      bridge.invoke('servers.list', {}),
      bridge.invoke('jobs.get', { id: 'job-12345678' }),
    ]);
    expect(a).toEqual({ ok: true, result: { call: 'servers.list', input: {} } });
    expect(b).toEqual({ ok: true, result: { call: 'jobs.get', input: { id: 'job-12345678' } } });
    expect(host.requests.map((r) => r.id)).toEqual([1, 2]);
    expect(bridge.status).toMatchObject({ state: 'open', everConnected: true, failures: 0 });
  });

  it('passes error envelopes through and turns unreadable replies into INTERNAL', async () => {
    const host = startHost(0, (req) =>
      req.call === 'servers.list'
        ? { type: 'reply', id: req.id, envelope: { ok: false, error: { code: 'AUTH', message: 'No.', hint: 'Log in.' } } }
        : { type: 'reply', id: req.id, envelope: { nonsense: true } },
    );
    cleanups.push(host.close);
    const bridge = bridgeTo(await host.ready);
    expect(await bridge.invoke('servers.list', {})).toEqual({
      ok: false,
      error: { code: 'AUTH', message: 'No.', hint: 'Log in.' },
    });
    const bad = await bridge.invoke('app.info', {});
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error.code).toBe('INTERNAL');
  });

  it('dispatches events to their listeners until they unsubscribe, ignoring garbage', async () => {
    const host = startHost();
    cleanups.push(host.close);
    const bridge = bridgeTo(await host.ready);
    await waitForStatus(bridge, (s) => s.state === 'open');
    const seen: unknown[] = [];
    const off = bridge.on('servers.changed', (payload) => seen.push(payload));
    bridge.on('jobs.log', () => {
      throw new Error('a broken listener must not stop the others');
    });
    const logs: unknown[] = [];
    bridge.on('jobs.log', (payload) => logs.push(payload));
    for (const ws of host.sockets) ws.send('not json');
    host.emit('servers.changed', {});
    host.emit('jobs.log', { jobId: 'job-12345678', line: { at: 'x', level: 'info', message: 'hi' } });
    await expect.poll(() => logs.length).toBe(1);
    expect(seen).toEqual([{}]);
    off();
    host.emit('servers.changed', {});
    host.emit('jobs.log', { jobId: 'job-12345678', line: { at: 'y', level: 'info', message: 'again' } });
    await expect.poll(() => logs.length).toBe(2);
    expect(seen).toEqual([{}]);
  });

  it('fails pending calls with NETWORK when the socket drops, then reconnects by itself', async () => {
    const host = startHost(0, (req) => (req.call === 'jobs.list' ? undefined : echo(req)));
    cleanups.push(host.close);
    const bridge = bridgeTo(await host.ready);
    await waitForStatus(bridge, (s) => s.state === 'open');
    const events: unknown[] = [];
    bridge.on('servers.changed', (p) => events.push(p));

    const pending = bridge.invoke('jobs.list', {}); // never answered
    await expect.poll(() => host.requests.length).toBe(1);
    host.dropAll();
    const result = await pending;
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.code).toBe('NETWORK');

    await waitForStatus(bridge, (s) => s.state === 'open');
    expect(await bridge.invoke('servers.list', {})).toMatchObject({ ok: true });
    // Listeners survive the reconnection.
    host.emit('servers.changed', {});
    await expect.poll(() => events.length).toBe(1);
  });

  it('reports an unreachable host, answers calls with NETWORK meanwhile, and connects once it is up', async () => {
    const probe = startHost();
    const port = await probe.ready;
    await probe.close();

    const bridge = bridgeTo(port);
    const first = await bridge.invoke('app.info', {}); // queued during the first attempt, failed with it
    expect(first.ok).toBe(false);
    if (!first.ok) expect(first.error.code).toBe('NETWORK');
    const closed = await waitForStatus(bridge, (s) => s.state === 'closed' && s.failures >= 2);
    expect(closed.everConnected).toBe(false);
    expect(closed.retryAt).toBeGreaterThan(0);

    const host = startHost(port);
    cleanups.push(host.close);
    await host.ready;
    await waitForStatus(bridge, (s) => s.state === 'open');
    expect(bridge.status).toMatchObject({ everConnected: true, failures: 0 });
    expect(await bridge.invoke('servers.list', {})).toMatchObject({ ok: true });
  });

  it('reconnectNow skips the backoff wait', async () => {
    const probe = startHost();
    const port = await probe.ready;
    await probe.close();
    const bridge = bridgeTo(port, { minDelayMs: 60_000, maxDelayMs: 60_000 });
    await waitForStatus(bridge, (s) => s.state === 'closed');
    const host = startHost(port);
    cleanups.push(host.close);
    await host.ready;
    bridge.reconnectNow();
    await waitForStatus(bridge, (s) => s.state === 'open', 2000);
  });

  it('times out calls that get no answer', async () => {
    const host = startHost(0, () => undefined);
    cleanups.push(host.close);
    const bridge = bridgeTo(await host.ready, { callTimeoutMs: 100 });
    const result = await bridge.invoke('app.info', {});
    expect(result).toMatchObject({ ok: false, error: { code: 'NETWORK', message: 'Hearth did not answer in time.' } });
  });

  it('close() fails pending calls and refuses new ones', async () => {
    const host = startHost(0, () => undefined);
    cleanups.push(host.close);
    const bridge = bridgeTo(await host.ready);
    await waitForStatus(bridge, (s) => s.state === 'open');
    const pending = bridge.invoke('app.info', {});
    bridge.close();
    expect((await pending).ok).toBe(false);
    expect(bridge.status.state).toBe('disposed');
    expect((await bridge.invoke('app.info', {})).ok).toBe(false);
  });

  it('derives the socket URL from the page: same host, /rpc, wss under https', () => {
    expect(defaultRpcUrl({ protocol: 'http:', host: '127.0.0.1:7777' })).toBe('ws://127.0.0.1:7777/rpc');
    expect(defaultRpcUrl({ protocol: 'https:', host: 'panel.example' })).toBe('wss://panel.example/rpc');
  });
});

describe('call()', () => {
  it('returns the result, or throws a CallError carrying code, message and hint', async () => {
    const host = startHost(0, (req) =>
      req.call === 'servers.list'
        ? { type: 'reply', id: req.id, envelope: { ok: true, result: [] } }
        : {
            type: 'reply',
            id: req.id,
            envelope: { ok: false, error: { code: 'NOT_FOUND', message: 'No such job.', hint: 'Reload.' } },
          },
    );
    cleanups.push(host.close);
    const bridge = bridgeTo(await host.ready);
    setBridgeForTesting({
      bridge,
      transport: 'web',
      getStatus: () => bridge.status,
      onStatus: (l) => bridge.onStatus(l),
      reconnectNow: () => bridge.reconnectNow(),
    });
    expect(await call('servers.list', {})).toEqual([]);
    const err = await call('jobs.get', { id: 'job-12345678' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CallError);
    expect((err as CallError).toInfo()).toEqual({ code: 'NOT_FOUND', message: 'No such job.', hint: 'Reload.' });
  });
});
