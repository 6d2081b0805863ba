import { app, BrowserWindow, shell } from 'electron';
import { join } from 'node:path';
import { rendererUrl } from './desktop-paths.ts';

export const APP_SCHEME = 'hearth';
export const APP_ORIGIN = `${APP_SCHEME}://app`;

/** The renderer's page and origin: the dev server while developing (never when packaged), else the app's own scheme. */
const renderer = () => rendererUrl({ isPackaged: app.isPackaged, env: process.env }, APP_ORIGIN);
export const rendererOrigin = (): string => renderer().origin;

export const isAppUrl = (url: string): boolean => {
  try {
    return new URL(url).origin === new URL(rendererOrigin()).origin;
  } catch {
    return false;
  }
};

/** The main window: shown only when painted, locked to the app's own pages. */
export function createMainWindow(preloadDir: string): BrowserWindow {
  const win = new BrowserWindow({
    width: 1200,
    height: 800,
    minWidth: 800,
    minHeight: 560,
    show: false,
    title: 'Hearth',
    webPreferences: {
      // The preload only exposes window.hearth (the contract's calls, each validated in main) through contextBridge.
      preload: join(preloadDir, 'index.cjs'), /* eng-disable PRELOAD_JS_CHECK */
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false,
      // A middle click must not open a link in a new window.
      disableBlinkFeatures: 'Auxclick',
    },
  });
  win.once('ready-to-show', () => win.show());

  // New windows are never opened by the renderer; web links go to the user's browser instead.
  win.webContents.setWindowOpenHandler(({ url }) => {
    // Only web links reach the browser: no file:, smb: or custom-scheme URL is handed to the OS.
    if (/^https?:\/\//.test(url)) void shell.openExternal(url); /* eng-disable OPEN_EXTERNAL_JS_CHECK */
    return { action: 'deny' };
  });
  win.webContents.on('will-navigate', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault();
  });
  win.webContents.on('will-attach-webview', (event) => event.preventDefault());

  void win.loadURL(renderer().page);
  return win;
}
