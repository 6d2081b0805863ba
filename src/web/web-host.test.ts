import { mkdtemp, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { WireMessage } from '../shared/api.ts';
import { startTestApp } from '../../test/support/app.ts';
import type { HearthApp } from '../core/app.ts';
import { startWebHost, type WebHost } from './web-host.ts';

let host: WebHost;
let app: HearthApp;
const TOKEN = 'test-token-0123456789abcdefghijklmnopqrstu';

beforeAll(async () => {
  const rendererDir = await mkdtemp(join(tmpdir(), 'hearth-renderer-'));
  await writeFile(join(rendererDir, 'index.html'), '<!doctype html><title>Hearth</title>');
  ({ app } = await startTestApp());
  host = await startWebHost({ app, rendererDir, token: TOKEN });
});
afterAll(async () => {
  await host?.close();
  await app?.close();
});

/** A raw HTTP request, so the Host header can be anything (fetch would not let us lie). */
function get(path: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: host.port, path, headers: { host: `127.0.0.1:${host.port}`, ...headers } }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const cookie = `hearth_session=${TOKEN}`;

function connect(headers: Record<string, string>) {
  return new Promise<WebSocket>((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${host.port}/rpc`, { headers });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`refused ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

function rpc(ws: WebSocket, call: string, input: unknown) {
  const id = Math.floor(Math.random() * 1e9);
  return new Promise<unknown>((resolve) => {
    const onMessage = (data: WebSocket.RawData) => {
      const msg = JSON.parse(data.toString()) as WireMessage;
      if (msg.type === 'reply' && msg.id === id) {
        ws.off('message', onMessage);
        resolve(msg.envelope);
      }
    };
    ws.on('message', onMessage);
    ws.send(JSON.stringify({ id, call, input }));
  });
}

describe('browser-mode host', () => {
  it('refuses a request without the token', async () => {
    const res = await get('/');
    expect(res.status).toBe(401);
    expect(res.body).not.toContain('<title>Hearth</title>');
  });

  it('refuses a wrong token', async () => {
    const res = await get('/?token=wrong-token');
    expect(res.status).toBe(401);
    expect(res.headers['set-cookie']).toBeUndefined();
  });

  it('trades the right token for an HttpOnly cookie, then serves the app with a CSP', async () => {
    const first = await get(`/?token=${TOKEN}`);
    expect(first.status).toBe(303);
    expect(first.headers.location).toBe('/');
    expect(String(first.headers['set-cookie'])).toMatch(/HttpOnly; SameSite=Strict/);
    const page = await get('/', { cookie });
    expect(page.status).toBe(200);
    expect(page.body).toContain('<title>Hearth</title>');
    expect(page.headers['content-security-policy']).toMatch(/script-src 'self'/);
  });

  it('refuses a foreign Host header even with the token (DNS rebinding)', async () => {
    expect((await get(`/?token=${TOKEN}`, { host: `evil.example:${host.port}` })).status).toBe(403);
    expect((await get('/', { host: 'evil.example', cookie })).status).toBe(403);
  });

  it('does not serve files outside the renderer folder', async () => {
    const res = await get('/..%2f..%2f..%2fetc%2fpasswd', { cookie });
    expect(res.body).not.toContain('root:');
  });

  it('refuses a WebSocket from a foreign Origin, or without the cookie', async () => {
    await expect(connect({ origin: 'http://evil.example', cookie })).rejects.toThrow(/refused 403/);
    await expect(connect({ origin: `http://127.0.0.1:${host.port}` })).rejects.toThrow(/refused 403/);
    await expect(connect({ origin: `http://127.0.0.1:${host.port}`, cookie: 'hearth_session=nope' })).rejects.toThrow(/refused 403/);
  });

  it('answers contract calls over the WebSocket and refuses unknown or invalid ones', async () => {
    const ws = await connect({ origin: `http://127.0.0.1:${host.port}`, cookie });
    try {
      const info = (await rpc(ws, 'app.info', {})) as { ok: boolean; result: { host: string; firstRun: boolean } };
      expect(info.ok).toBe(true);
      expect(info.result.host).toBe('web');
      expect(info.result.firstRun).toBe(true);
      expect(await rpc(ws, 'shell.exec', { command: 'id' })).toMatchObject({ ok: false, error: { code: 'UNKNOWN_CALL' } });
      expect(await rpc(ws, 'servers.health', { serverId: 'NOT A VALID ID!' })).toMatchObject({ ok: false, error: { code: 'VALIDATION' } });
      expect(await rpc(ws, 'servers.health', { serverId: 'nope' })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    } finally {
      ws.close();
    }
  });
});
