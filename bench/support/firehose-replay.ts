/**
 * A recorded firehose, served again: the frames a PDS sent on com.atproto.sync.subscribeRepos,
 * byte for byte, to whoever subscribes. The server runs in a worker thread, so sending costs the
 * measured thread nothing: what the consumer's thread does is all decoding, verifying, parsing
 * and storing. It also answers /xrpc/_health, as a PDS does (the live source asks it after a dial).
 *
 * Frames are kept in a file of length-prefixed records (4 bytes big-endian length, then the frame).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { WebSocketServer } from 'ws';

export function writeFrames(file: string, frames: Uint8Array[]): void {
  const out = Buffer.alloc(frames.reduce((n, f) => n + 4 + f.length, 0));
  let at = 0;
  for (const frame of frames) {
    out.writeUInt32BE(frame.length, at);
    out.set(frame, at + 4);
    at += 4 + frame.length;
  }
  writeFileSync(file, out);
}

export function readFrames(file: string): Buffer[] {
  const all = readFileSync(file);
  const frames: Buffer[] = [];
  for (let at = 0; at < all.length; ) {
    const length = all.readUInt32BE(at);
    frames.push(all.subarray(at + 4, at + 4 + length));
    at += 4 + length;
  }
  return frames;
}

export interface FirehoseReplay {
  /** http://127.0.0.1:port, a PDS's origin as the live source wants it. */
  url: string;
  stop(): Promise<void>;
}

/** Serves every frame of `file` to each new subscriber, from the first. */
export async function startFirehoseReplay(file: string): Promise<FirehoseReplay> {
  const worker = new Worker(new URL(import.meta.url), { workerData: { role: 'firehose-replay', file } });
  const port = await new Promise<number>((resolve, reject) => {
    worker.once('message', (m: { port: number }) => resolve(m.port));
    worker.once('error', reject);
  });
  return {
    url: `http://127.0.0.1:${port}`,
    async stop() {
      await worker.terminate();
    },
  };
}

async function serve(file: string): Promise<void> {
  const frames = readFrames(file);
  const http = createServer((req, res) => {
    if (req.url?.startsWith('/xrpc/_health')) {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"version":"replay"}');
    } else {
      res.writeHead(404).end();
    }
  });
  const wss = new WebSocketServer({ server: http, path: '/xrpc/com.atproto.sync.subscribeRepos' });
  wss.on('connection', (ws) => {
    // As fast as the socket takes them; a consumer slower than that is what is being measured.
    for (const frame of frames) ws.send(frame, { binary: true });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  parentPort!.postMessage({ port: (http.address() as AddressInfo).port });
}

const data = workerData as { role?: string; file?: string } | null;
if (!isMainThread && data?.role === 'firehose-replay' && data.file) await serve(data.file);
