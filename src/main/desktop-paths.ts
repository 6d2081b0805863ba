import { join } from 'node:path';

/**
 * Where the desktop app finds its own files, decided from what Electron says about itself (kept
 * free of the electron module so it is tested as a plain function; no test can start Electron).
 *
 * Packaged (electron-builder): the bundles live in <resources>/app.asar, and the files Hearth puts
 * on servers are shipped beside it as extra resources in <resources>/host, where scripts keep
 * their modes and can run (the sandbox runs the backup scripts in place). Unpacked (`npm start`,
 * `electron .`): out/main/index.js in the checkout, whose resources/host is two folders up.
 */
export function desktopPaths(app: { isPackaged: boolean; resourcesPath: string; mainDir: string }): { hostFilesDir: string; preloadDir: string; rendererDir: string } {
  return {
    hostFilesDir: app.isPackaged ? join(app.resourcesPath, 'host') : join(app.mainDir, '..', '..', 'resources', 'host'),
    preloadDir: join(app.mainDir, '..', 'preload'),
    rendererDir: join(app.mainDir, '..', 'renderer'),
  };
}

/**
 * The page the window loads. electron-vite's dev server sets ELECTRON_RENDERER_URL while
 * developing; a packaged app ignores it, or whatever origin it named would get the whole API.
 */
export function rendererUrl(app: { isPackaged: boolean; env: NodeJS.ProcessEnv }, appOrigin: string): { origin: string; page: string } {
  const dev = !app.isPackaged ? app.env.ELECTRON_RENDERER_URL : undefined;
  if (dev && /^http:\/\/(localhost|127\.0\.0\.1)(:\d+)?\/?/.test(dev)) return { origin: new URL(dev).origin, page: dev };
  return { origin: appOrigin, page: `${appOrigin}/index.html` };
}
