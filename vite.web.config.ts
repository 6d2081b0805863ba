import { resolve } from 'node:path';
import { defineConfig } from 'vite';

// Browser mode's host (src/web/main.ts) and core, bundled into one file for start-up speed:
// Node then loads one module instead of resolving and type-stripping a few hundred. Packages
// stay in node_modules, except zod, whose many small modules dominate the load time.
export default defineConfig({
  build: {
    ssr: resolve(import.meta.dirname, 'src/web/main.ts'),
    outDir: 'out/web',
    emptyOutDir: true,
    target: 'node22',
    minify: false,
    sourcemap: true,
    rollupOptions: { output: { format: 'es', entryFileNames: 'main.js' } },
  },
  ssr: { noExternal: ['zod'] },
});
