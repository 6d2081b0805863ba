import { z } from 'zod';
import { Server } from '../../shared/contract/servers.ts';

export const CONFIG_VERSION = 1;

/** config.json: no secrets, ever: those live in the keychain. */
export const Config = z.object({
  version: z.literal(CONFIG_VERSION),
  servers: z.array(Server),
  settings: z.object({}).loose().default({}),
});
export type Config = z.infer<typeof Config>;

export const emptyConfig = (): Config => ({ version: CONFIG_VERSION, servers: [], settings: {} });
