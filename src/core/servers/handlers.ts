import type { ServiceHandlers, Services } from '../services.ts';

/** The server list. A server's health is composed from several domains in health/handlers.ts. */
export function serversHandlers(services: Services): Omit<ServiceHandlers<'servers'>, 'servers.health'> {
  return { 'servers.list': async () => services.servers.list() };
}
