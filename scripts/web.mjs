// `npm run web`: builds the renderer when it is missing or older than its sources, then starts the
// browser-mode host (src/web/main.ts, run by Node 22 directly).
import { ensureRendererBuilt } from './build-web.mjs';

await ensureRendererBuilt();
await import('../src/web/main.ts');
