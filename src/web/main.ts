import { HearthError } from '../shared/errors.ts';
import { webPort } from './port.ts';
import { runWebHost } from './run.ts';

/**
 * `npm run web`: Hearth in a browser. HEARTH_PORT fixes the port (for an SSH tunnel to a headless
 * home server); otherwise a free one is picked. Nothing else is read from the environment here.
 */
let port: number;
try {
  port = webPort(process.env.HEARTH_PORT);
} catch (err) {
  if (!(err instanceof HearthError)) throw err;
  console.error(`${err.message} ${err.hint}`);
  process.exit(1);
}
await runWebHost({ port });
