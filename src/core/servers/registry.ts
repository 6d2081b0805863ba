import type { Server } from '../../shared/contract/servers.ts';
import { HearthError } from '../../shared/errors.ts';
import type { ConfigStore } from '../config/index.ts';
import type { EventBus } from '../events.ts';

/** The servers Hearth manages, kept in config.json; every change is announced to the windows. */
export class ServerRegistry {
  readonly #config: ConfigStore;
  readonly #bus: EventBus;

  constructor(config: ConfigStore, bus: EventBus) {
    this.#config = config;
    this.#bus = bus;
  }

  list(): Server[] {
    return this.#config.get().servers;
  }

  get(id: string): Server {
    const server = this.list().find((s) => s.id === id);
    if (!server) throw new HearthError('NOT_FOUND', 'Hearth does not know this server.', 'It may have been removed; reload the server list.');
    return server;
  }

  /** Adds a server, or updates the one with the same id. */
  async upsert(server: Server): Promise<void> {
    await this.#config.update((config) => {
      const index = config.servers.findIndex((s) => s.id === server.id);
      if (index === -1) config.servers.push(server);
      else config.servers[index] = server;
    });
    this.#bus.emit('servers.changed', {});
  }

  /** Forgets a server (its keychain entries are the caller's business). */
  async remove(id: string): Promise<void> {
    await this.#config.update((config) => {
      config.servers = config.servers.filter((s) => s.id !== id);
    });
    this.#bus.emit('servers.changed', {});
  }
}
