import { app, session, type BrowserWindow } from 'electron';
import { join } from 'node:path';
import { createApp, type HearthApp } from '../core/app.ts';
import { registerAppScheme, serveRenderer } from './app-protocol.ts';
import { connectBridge, forwardEvents } from './bridge.ts';
import { electronNotifier } from './desktop-notifier.ts';
import { desktopNotifications } from './notifications.ts';
import { createTray } from './tray.ts';
import { desktopPaths } from './desktop-paths.ts';
import { denyWebPermissions } from './permissions.ts';
import { utilityChildSpawner } from './utility-child.ts';
import { createMainWindow, isAppUrl } from './window.ts';

// The Electron host: windows, tray and IPC only. Everything Hearth does lives in src/core.

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  registerAppScheme();
  let hearth: HearthApp | null = null;
  let win: BrowserWindow | null = null;
  let quitting = false;
  const paths = desktopPaths({ isPackaged: app.isPackaged, resourcesPath: process.resourcesPath, mainDir: import.meta.dirname });

  const show = () => {
    if (!win || win.isDestroyed()) {
      win = createMainWindow(paths.preloadDir);
      if (hearth) forwardEvents(hearth, win.webContents);
    }
    if (win.isMinimized()) win.restore();
    win.show();
    win.focus();
  };

  app.on('second-instance', show);

  app.whenReady().then(async () => {
    denyWebPermissions(session.defaultSession);
    serveRenderer(paths.rendererDir);
    hearth = await createApp({
      dataDir: app.getPath('userData'),
      host: 'electron',
      version: app.getVersion(),
      hostFilesDir: paths.hostFilesDir,
      downloadsDir: app.getPath('downloads'),
      // The sandbox's PLC and PDS run as Electron utility processes (the packaged app's RunAsNode
      // fuse is off), from the entries electron-vite builds beside this file.
      childNode: {
        path: process.execPath,
        spawn: utilityChildSpawner,
        scripts: { plc: join(import.meta.dirname, 'sandbox-plc.js'), pds: join(import.meta.dirname, 'sandbox-pds.js') },
      },
      onInternalError: (err) => console.error('[hearth] internal error:', err),
    });
    connectBridge(hearth, isAppUrl);
    const tray = createTray(show, () => app.quit());
    hearth.subscribe((event, payload) => {
      if (event === 'sandbox.status') tray.update(payload as Parameters<typeof tray.update>[0]);
    });
    // A failed backup becomes a desktop notification; clicking it shows its screen in the window.
    const open = (route: string) => {
      show();
      // The route is made from a validated server id; the page follows changes of its hash.
      void win?.webContents.executeJavaScript(`window.location.hash = ${JSON.stringify(route)}`).catch(() => undefined);
    };
    hearth.subscribe(desktopNotifications(electronNotifier(), open));
    show();
  });

  // Keep running in the tray when the window closes: the sandbox and jobs go on.
  app.on('window-all-closed', () => undefined);

  // Quitting stops the sandbox cleanly (PDS then PLC) before the process exits.
  app.on('before-quit', (event) => {
    if (quitting || !hearth) return;
    event.preventDefault();
    quitting = true;
    void hearth.close().finally(() => app.quit());
  });
}
