import { runWebHost } from './run.ts';

/**
 * `npm run web`: Hearth in a browser. HEARTH_PORT fixes the port (for an SSH tunnel to a headless
 * home server); otherwise a free one is picked. Nothing else is read from the environment here.
 */
await runWebHost({ port: process.env.HEARTH_PORT ? Number(process.env.HEARTH_PORT) : 0 });
