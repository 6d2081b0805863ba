import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';
import { contentSecurityPolicy as windowCsp } from './src/shared/csp.ts';

/**
 * The renderer (React UI) build. Used as is by the browser-mode build
 * (`vite build --config vite.renderer.config.ts`) and as the `renderer` section of electron-vite.
 * Output: out/renderer, with relative asset URLs (base './') so the same files load from file://
 * in Electron and from the web host at `/`.
 */

const repoRoot = fileURLToPath(new URL('.', import.meta.url));

/** The page's Content-Security-Policy (src/shared/csp.ts), added to the built index.html only (the dev server needs inline scripts for hot reload). */
export const RENDERER_CSP = windowCsp();

function contentSecurityPolicy(): Plugin {
  return {
    name: 'hearth-renderer-csp',
    apply: 'build',
    transformIndexHtml: () => [
      {
        tag: 'meta',
        attrs: { 'http-equiv': 'Content-Security-Policy', content: RENDERER_CSP },
        injectTo: 'head-prepend',
      },
    ],
  };
}

export default defineConfig({
  root: fileURLToPath(new URL('./src/renderer', import.meta.url)),
  base: './',
  plugins: [react(), contentSecurityPolicy()],
  build: {
    outDir: fileURLToPath(new URL('./out/renderer', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // Inline nothing as data: URLs into scripts; keep assets as files.
    assetsInlineLimit: 0,
    reportCompressedSize: true,
  },
  server: {
    fs: { allow: [repoRoot] },
  },
});
