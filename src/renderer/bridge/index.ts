import type { HearthBridge } from '../../shared/api.ts';
import type { CallInput, CallName, CallOutput } from '../../shared/contract/index.ts';
import type { ErrorInfo } from '../../shared/errors.ts';
import {
  createWebSocketBridge,
  defaultRpcUrl,
  type ConnectionStatus,
  type WebSocketBridge,
} from './ws-client.ts';

export type { ConnectionStatus, ConnectionState } from './ws-client.ts';

declare global {
  interface Window {
    /** Set by the Electron preload; absent in the browser, where the WebSocket client stands in. */
    hearth?: HearthBridge;
  }
}

/**
 * A failed call, as components see it: the code, plain-words message and hint from the envelope.
 * Shaped like HearthError (src/shared/errors.ts) without importing it, so the renderer bundle
 * does not carry zod.
 */
export class CallError extends Error {
  readonly code: ErrorInfo['code'];
  readonly hint: string;

  constructor(info: ErrorInfo) {
    super(info.message);
    this.name = 'HearthError';
    this.code = info.code;
    this.hint = info.hint;
  }

  toInfo(): ErrorInfo {
    return { code: this.code, message: this.message, hint: this.hint };
  }
}

/** Turns anything caught into something safe to show: message + hint, never a raw object. */
export function toErrorInfo(err: unknown): ErrorInfo {
  if (err instanceof CallError) return err.toInfo();
  return {
    code: 'INTERNAL',
    message: 'Something went wrong in this window.',
    hint: 'Reload the page; if it keeps happening, restart Hearth.',
  };
}

export interface BridgeHandle {
  bridge: HearthBridge;
  /** 'electron' when preload provided window.hearth, 'web' for the WebSocket client. */
  transport: 'electron' | 'web';
  /** Connection state (always open in Electron). */
  getStatus(): ConnectionStatus;
  onStatus(listener: (status: ConnectionStatus) => void): () => void;
  reconnectNow(): void;
}

const ALWAYS_OPEN: ConnectionStatus = { state: 'open', everConnected: true, retryAt: null, failures: 0 };

function createHandle(): BridgeHandle {
  const injected = typeof window !== 'undefined' ? window.hearth : undefined;
  if (injected) {
    return {
      bridge: injected,
      transport: 'electron',
      getStatus: () => ALWAYS_OPEN,
      onStatus: () => () => {},
      reconnectNow: () => {},
    };
  }
  const ws: WebSocketBridge = createWebSocketBridge({ url: defaultRpcUrl() });
  // The page sees the same `window.hearth` in both hosts (DESIGN §1), so tests and the console
  // can drive it alike. It carries no credential: the socket is authenticated by its cookie.
  if (typeof window !== 'undefined') window.hearth = ws;
  return {
    bridge: ws,
    transport: 'web',
    getStatus: () => ws.status,
    onStatus: (listener) => ws.onStatus(listener),
    reconnectNow: () => ws.reconnectNow(),
  };
}

let handle: BridgeHandle | null = null;

/** The one bridge of this window, created on first use. */
export function getBridge(): BridgeHandle {
  handle ??= createHandle();
  return handle;
}

/** Replaces the bridge (tests). */
export function setBridgeForTesting(next: BridgeHandle | null): void {
  handle = next;
}

/** Makes a call and returns its result, or throws a CallError carrying the envelope's error. */
export async function call<C extends CallName>(name: C, input: CallInput<C>): Promise<CallOutput<C>> {
  let envelope;
  try {
    envelope = await getBridge().bridge.invoke(name, input);
  } catch {
    // The contract says invoke resolves with an envelope; a rejection means the transport broke.
    throw new CallError({
      code: 'NETWORK',
      message: 'Hearth cannot be reached right now.',
      hint: 'Try again in a moment; if it keeps happening, restart Hearth.',
    });
  }
  if (envelope.ok) return envelope.result;
  throw new CallError(envelope.error);
}
