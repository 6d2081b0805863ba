// A stand-in for the `electron` module, so the built desktop bundle (out/main/index.js) can be
// loaded by plain Node exactly as Electron would load it: the Electron binary cannot be
// downloaded here, and no test can start it. It plays a packaged app whose resources folder is
// STANDIN_RESOURCES; once the bundle registers its IPC handler, it makes one call through it the
// way the window would, prints the answer as a line `STANDIN_ANSWER {json}` and quits.
import { EventEmitter } from 'node:events';

const env = process.env;
process.resourcesPath = env.STANDIN_RESOURCES;

class App extends EventEmitter {
  isPackaged = env.STANDIN_PACKAGED === '1';
  requestSingleInstanceLock = () => true;
  quit = () => process.exit(0);
  whenReady = () => Promise.resolve();
  getPath = () => env.STANDIN_USER_DATA;
  getVersion = () => '0.0.0-standin';
}
export const app = new App();

const contents = () => {
  const c = new EventEmitter();
  Object.assign(c, { isDestroyed: () => false, send: () => undefined, setWindowOpenHandler: () => undefined, executeJavaScript: async () => undefined });
  return c;
};
export class BrowserWindow extends EventEmitter {
  webContents = contents();
  loadURL = async () => undefined;
  isDestroyed = () => false;
  isMinimized = () => false;
  restore = () => undefined;
  show = () => undefined;
  focus = () => undefined;
}
export const protocol = { registerSchemesAsPrivileged: () => undefined, handle: () => undefined };
export const net = { fetch: (...args) => fetch(...args) };
export const shell = { openExternal: async () => undefined };
export const nativeImage = { createFromDataURL: () => ({}) };
export const Menu = { buildFromTemplate: () => ({}) };
export class Tray {
  setToolTip() {}
  setContextMenu() {}
  on() {}
}
export class Notification extends EventEmitter {
  static isSupported = () => false;
  show() {}
}
export const ipcMain = {
  handle(channel, handler) {
    const frame = { url: 'hearth://app/index.html' };
    const event = { senderFrame: frame, sender: { mainFrame: frame } };
    void Promise.resolve(handler(event, env.STANDIN_CALL, JSON.parse(env.STANDIN_INPUT ?? '{}'))).then((answer) => {
      console.log(`STANDIN_ANSWER ${JSON.stringify(answer)}`);
      process.exit(0);
    });
  },
  removeHandler: () => undefined,
};
// The window's session (web permissions are all refused there) and utility processes (how the
// sandbox's children start): the bundle imports them; the desktop-bundle test starts no sandbox.
export const session = { defaultSession: { setPermissionRequestHandler: () => undefined, setPermissionCheckHandler: () => undefined } };
export const utilityProcess = {
  fork: () => {
    throw new Error('the electron stand-in cannot start utility processes');
  },
};
export default { app, BrowserWindow, protocol, net, shell, nativeImage, Menu, Tray, Notification, ipcMain, session, utilityProcess };
