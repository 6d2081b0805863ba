// `npm run web`: builds what is missing or stale, then starts the browser-mode host.
import { ensureWebBuilt } from './build-web.mjs';

await ensureWebBuilt();
await import('../out/web/main.js');
