import { resolve } from 'node:path';
import { defineConfig, externalizeDepsPlugin } from 'electron-vite';
import renderer from './vite.renderer.config.ts';

// electron-vite builds three things: the main process (with core bundled in, dependencies left
// in node_modules), the sandboxed preload (CommonJS, as sandboxed preloads must be), and the
// renderer (the same Vite config the browser mode uses).
export default defineConfig({
  main: {
    plugins: [externalizeDepsPlugin()],
    build: {
      outDir: 'out/main',
      rollupOptions: {
        input: {
          index: resolve(import.meta.dirname, 'src/main/index.ts'),
          // The sandbox's children are separate entries so the PDS code loads only in them.
          'sandbox-plc': resolve(import.meta.dirname, 'src/core/sandbox/plc-child.ts'),
          'sandbox-pds': resolve(import.meta.dirname, 'src/core/sandbox/pds-child.ts'),
        },
        output: { format: 'es', entryFileNames: '[name].js' },
      },
    },
  },
  preload: {
    plugins: [externalizeDepsPlugin({ exclude: [] })],
    build: {
      outDir: 'out/preload',
      rollupOptions: {
        input: { index: resolve(import.meta.dirname, 'src/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    ...renderer,
    root: resolve(import.meta.dirname, 'src/renderer'),
    build: {
      ...renderer.build,
      outDir: resolve(import.meta.dirname, 'out/renderer'),
      rollupOptions: { input: resolve(import.meta.dirname, 'src/renderer/index.html') },
    },
  },
});
