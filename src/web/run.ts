import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { AppOptions } from '../core/app.ts';
import { webDataDir } from '../core/data-dir.ts';
import { startWebHost } from './web-host.ts';

/** What a caller of the web host may set: the port, and (a test entry point) core's stand-ins. */
export type WebHostOptions = { port?: number } & Partial<Omit<AppOptions, 'host' | 'version'>>;

/**
 * Hearth without Electron: serves the same UI and contract on 127.0.0.1 for a browser on this
 * machine (or over an SSH tunnel from another). Runs from the bundle in out/web (see
 * vite.web.config.ts) or straight from the sources; `root` is the repository either way. The
 * product entry (main.ts) passes no stand-ins; the end-to-end tests' entry
 * (e2e/support/web-test-main.ts) passes theirs here, so none of them lives in the product.
 */
export async function runWebHost(options: WebHostOptions = {}): Promise<void> {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const { version } = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { version: string };
  const { port = 0, ...overrides } = options;

  // The host listens and prints its link first; core loads meanwhile, while the browser fetches
  // the window. Calls that arrive before core is ready wait for it.
  const app = import('../core/app.ts').then(({ createApp }) =>
    createApp({
      dataDir: webDataDir(),
      host: 'web',
      version,
      hostFilesDir: `${root}resources/host`,
      // The sandbox's children run from their sources (Node 22 strips the types), wherever this
      // file runs from: the sources themselves or the bundle in out/web.
      childNode: {
        path: process.execPath,
        scripts: { plc: `${root}src/core/sandbox/plc-child.ts`, pds: `${root}src/core/sandbox/pds-child.ts` },
      },
      onInternalError: (err) => console.error('[hearth] internal error:', err),
      ...overrides,
    }),
  );
  app.catch((err: unknown) => {
    console.error(`Hearth could not start: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
  const host = await startWebHost({ app, rendererDir: `${root}out/renderer`, port });

  // One line a person (or a test) can act on; the token in it is the only way in.
  console.log(`Hearth is running. Open ${host.openUrl}`);

  let closing = false;
  const shutdown = async () => {
    if (closing) return;
    closing = true;
    console.log('Hearth is stopping…');
    await host.close();
    await (await app).close();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown());
  process.on('SIGTERM', () => void shutdown());
}
