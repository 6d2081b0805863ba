import type { CallInput, CallName, EventName, EventPayload } from './contract/index.ts';
import type { Envelope } from './errors.ts';
import type { CallOutput } from './contract/index.ts';

/**
 * What the renderer sees as `window.hearth`: provided by preload in Electron and by the WebSocket
 * client in the browser. The renderer cannot tell the two apart.
 */
export interface HearthBridge {
  invoke<C extends CallName>(call: C, input: CallInput<C>): Promise<Envelope<CallOutput<C>>>;
  /** Subscribes to one event; returns the function that unsubscribes. */
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void;
}

/** IPC channel names shared by main and preload. */
export const IPC_INVOKE = 'hearth:invoke';
export const IPC_EVENT = 'hearth:event';

/** Messages on the browser-mode WebSocket. */
export type WireRequest = { id: number; call: string; input: unknown };
export type WireMessage =
  | { type: 'reply'; id: number; envelope: Envelope<unknown> }
  | { type: 'event'; event: string; payload: unknown };
