import type { HearthBridge, WireMessage, WireRequest } from '../../shared/api.ts';
import type { Envelope, ErrorInfo } from '../../shared/errors.ts';

/**
 * The browser-mode `window.hearth`: the contract over one WebSocket to the web host (`/rpc`, same
 * origin). The host authenticates the socket with the HttpOnly cookie it set when the page was
 * opened with its access link, so this client holds no token and stores nothing.
 *
 * - every call gets a numeric id; replies are matched through a pending map;
 * - calls made while the first connection (or a reconnection) is being opened wait for it;
 *   calls made while disconnected, and calls pending when the socket drops, resolve with a
 *   NETWORK error envelope (invoke never rejects: the envelope is the contract);
 * - the socket reconnects by itself with exponential backoff;
 * - events are dispatched to the listeners registered with `on`.
 */

export type ConnectionState =
  /** Opening the socket (first time or again after a drop). */
  | 'connecting'
  | 'open'
  /** Not connected; another attempt is scheduled (see `retryAt`). */
  | 'closed'
  /** `close()` was called: no more attempts. */
  | 'disposed';

export interface ConnectionStatus {
  state: ConnectionState;
  /** True once the socket has been open at least once. */
  everConnected: boolean;
  /** When the next attempt starts (ms since epoch), while `state` is 'closed'. */
  retryAt: number | null;
  /** Consecutive failed attempts since the last successful open. */
  failures: number;
}

export interface WebSocketBridge extends HearthBridge {
  readonly status: ConnectionStatus;
  /** Called with the new status on every change; returns the function that unsubscribes. */
  onStatus(listener: (status: ConnectionStatus) => void): () => void;
  /** Skips the backoff wait and tries to connect now. */
  reconnectNow(): void;
  /** Closes the socket for good, failing pending calls. */
  close(): void;
}

/** The subset of the WebSocket API this client uses (the browser's, or Node 22's global one). */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: unknown) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
}

export interface WebSocketBridgeOptions {
  url: string;
  /** Defaults to the global WebSocket. */
  createSocket?: (url: string) => SocketLike;
  /** First backoff delay in ms (doubled on each failure, with jitter). Default 500. */
  minDelayMs?: number;
  /** Longest backoff delay in ms. Default 10 000. */
  maxDelayMs?: number;
  /** A call without an answer after this long resolves with a NETWORK error. Default 120 000. */
  callTimeoutMs?: number;
}

const OPEN = 1;

export const NETWORK_ERRORS = {
  disconnected: {
    code: 'NETWORK',
    message: 'Hearth cannot be reached right now.',
    hint: 'The connection to Hearth was lost. It reconnects by itself; try again in a moment.',
  },
  timeout: {
    code: 'NETWORK',
    message: 'Hearth did not answer in time.',
    hint: 'Try again; if it keeps happening, restart Hearth.',
  },
  closed: {
    code: 'NETWORK',
    message: 'This window is no longer connected to Hearth.',
    hint: 'Reload the page.',
  },
} satisfies Record<string, ErrorInfo>;

/** Where the browser client connects: the page's own host, path /rpc. */
export function defaultRpcUrl(loc: Pick<Location, 'protocol' | 'host'> = window.location): string {
  return `${loc.protocol === 'https:' ? 'wss:' : 'ws:'}//${loc.host}/rpc`;
}

interface Pending {
  resolve: (envelope: Envelope<unknown>) => void;
  timer: ReturnType<typeof setTimeout>;
}

export function createWebSocketBridge(options: WebSocketBridgeOptions): WebSocketBridge {
  const createSocket =
    options.createSocket ?? ((url: string) => new WebSocket(url) as unknown as SocketLike);
  const minDelay = options.minDelayMs ?? 500;
  const maxDelay = options.maxDelayMs ?? 10_000;
  const callTimeout = options.callTimeoutMs ?? 120_000;

  let socket: SocketLike | null = null;
  let nextId = 1;
  let retryTimer: ReturnType<typeof setTimeout> | null = null;
  /** Requests waiting for the socket being opened. */
  let queued: WireRequest[] = [];
  const pending = new Map<number, Pending>();
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  const statusListeners = new Set<(status: ConnectionStatus) => void>();
  let status: ConnectionStatus = { state: 'connecting', everConnected: false, retryAt: null, failures: 0 };

  function setStatus(patch: Partial<ConnectionStatus>) {
    status = { ...status, ...patch };
    for (const listener of [...statusListeners]) {
      try {
        listener(status);
      } catch (err) {
        console.error('Hearth: a connection listener failed', err);
      }
    }
  }

  function settle(id: number, envelope: Envelope<unknown>) {
    const entry = pending.get(id);
    if (!entry) return;
    pending.delete(id);
    clearTimeout(entry.timer);
    entry.resolve(envelope);
  }

  function failAll(error: ErrorInfo) {
    queued = [];
    for (const id of [...pending.keys()]) settle(id, { ok: false, error });
  }

  function connect() {
    if (status.state === 'disposed') return;
    if (retryTimer) {
      clearTimeout(retryTimer);
      retryTimer = null;
    }
    setStatus({ state: 'connecting', retryAt: null });
    let ws: SocketLike;
    try {
      ws = createSocket(options.url);
    } catch {
      scheduleRetry();
      return;
    }
    socket = ws;
    ws.onopen = () => {
      if (socket !== ws) return;
      setStatus({ state: 'open', everConnected: true, failures: 0, retryAt: null });
      const toSend = queued;
      queued = [];
      for (const request of toSend) send(request);
    };
    ws.onmessage = (ev) => {
      if (socket !== ws) return;
      receive(ev.data);
    };
    const lost = () => {
      if (socket !== ws) return;
      socket = null;
      failAll(NETWORK_ERRORS.disconnected);
      scheduleRetry();
    };
    // Browsers follow an error with a close event; some WebSocket implementations (Node's, for a
    // refused connection) do not, so an error counts as the end of this socket either way.
    ws.onerror = () => {
      if (socket !== ws) return;
      lost();
      try {
        ws.close();
      } catch {
        // Already closing.
      }
    };
    ws.onclose = lost;
  }

  function scheduleRetry() {
    if (status.state === 'disposed') return;
    const failures = status.failures + 1;
    const base = Math.min(maxDelay, minDelay * 2 ** Math.min(failures - 1, 20));
    const delay = Math.round(base * (0.8 + Math.random() * 0.4));
    setStatus({ state: 'closed', failures, retryAt: Date.now() + delay });
    retryTimer = setTimeout(connect, delay);
  }

  function send(request: WireRequest) {
    if (!socket || socket.readyState !== OPEN) {
      settle(request.id, { ok: false, error: NETWORK_ERRORS.disconnected });
      return;
    }
    try {
      socket.send(JSON.stringify(request));
    } catch {
      settle(request.id, { ok: false, error: NETWORK_ERRORS.disconnected });
    }
  }

  function receive(data: unknown) {
    if (typeof data !== 'string') return;
    let message: WireMessage;
    try {
      message = JSON.parse(data) as WireMessage;
    } catch {
      console.warn('Hearth: ignored a message that is not JSON');
      return;
    }
    if (!message || typeof message !== 'object') return;
    if (message.type === 'reply' && typeof message.id === 'number') {
      const envelope = isEnvelope(message.envelope)
        ? message.envelope
        : ({
            ok: false,
            error: {
              code: 'INTERNAL',
              message: 'Hearth sent an answer this window cannot read.',
              hint: 'The window and the app may be from different versions: reload the page.',
            },
          } as const);
      settle(message.id, envelope);
    } else if (message.type === 'event' && typeof message.event === 'string') {
      const set = listeners.get(message.event);
      if (!set) return;
      for (const listener of [...set]) {
        try {
          listener(message.payload);
        } catch (err) {
          console.error(`Hearth: a listener for ${message.event} failed`, err);
        }
      }
    }
  }

  const bridge: WebSocketBridge = {
    get status() {
      return status;
    },

    invoke(call, input) {
      return new Promise((resolve) => {
        if (status.state === 'disposed') {
          resolve({ ok: false, error: NETWORK_ERRORS.closed });
          return;
        }
        const id = nextId++;
        const timer = setTimeout(() => settle(id, { ok: false, error: NETWORK_ERRORS.timeout }), callTimeout);
        pending.set(id, { resolve: resolve as (envelope: Envelope<unknown>) => void, timer });
        const request: WireRequest = { id, call, input: input ?? {} };
        if (status.state === 'open') send(request);
        else if (status.state === 'connecting') queued.push(request);
        else settle(id, { ok: false, error: NETWORK_ERRORS.disconnected });
      });
    },

    on(event, listener) {
      let set = listeners.get(event);
      if (!set) {
        set = new Set();
        listeners.set(event, set);
      }
      const entry = listener as (payload: unknown) => void;
      set.add(entry);
      return () => {
        set.delete(entry);
      };
    },

    onStatus(listener) {
      statusListeners.add(listener);
      return () => {
        statusListeners.delete(listener);
      };
    },

    reconnectNow() {
      if (status.state === 'closed') connect();
    },

    close() {
      if (status.state === 'disposed') return;
      if (retryTimer) clearTimeout(retryTimer);
      retryTimer = null;
      const ws = socket;
      socket = null;
      setStatus({ state: 'disposed', retryAt: null });
      failAll(NETWORK_ERRORS.closed);
      ws?.close(1000, 'closed');
    },
  };

  connect();
  return bridge;
}

function isEnvelope(value: unknown): value is Envelope<unknown> {
  if (!value || typeof value !== 'object') return false;
  const v = value as { ok?: unknown; error?: unknown };
  if (v.ok === true) return 'result' in v;
  if (v.ok !== false || !v.error || typeof v.error !== 'object') return false;
  const e = v.error as Record<string, unknown>;
  return typeof e.code === 'string' && typeof e.message === 'string' && typeof e.hint === 'string';
}
