import { events, type EventName, type EventPayload } from '../shared/contract/index.ts';

export type EventListener = <E extends EventName>(event: E, payload: EventPayload<E>) => void;

/**
 * Core's outgoing events. Payloads are checked against the contract before they leave, exactly
 * like call results, so a host never forwards something the renderer cannot trust.
 */
export class EventBus {
  readonly #listeners = new Set<EventListener>();

  subscribe(listener: EventListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  emit<E extends EventName>(event: E, payload: EventPayload<E>): void {
    const checked = events[event].parse(payload) as EventPayload<E>;
    for (const listener of this.#listeners) {
      try {
        listener(event, checked);
      } catch {
        // One broken listener (a closed socket) must not stop the others.
      }
    }
  }
}
