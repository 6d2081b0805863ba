import { ipcMain, type IpcMainInvokeEvent, type WebContents } from 'electron';
import { IPC_EVENT, IPC_INVOKE } from '../shared/api.ts';
import type { HearthApp } from '../core/app.ts';

/**
 * The one IPC handler: every contract call arrives here, from a frame whose URL must be the app's
 * own renderer (a navigated or embedded foreign page gets nothing), and goes to core's
 * dispatcher, which validates input and output and answers with an envelope.
 */
export function connectBridge(app: HearthApp, isAppUrl: (url: string) => boolean): () => void {
  ipcMain.handle(IPC_INVOKE, async (event: IpcMainInvokeEvent, call: unknown, input: unknown) => {
    const frameUrl = event.senderFrame?.url ?? '';
    if (!isAppUrl(frameUrl) || event.senderFrame !== event.sender.mainFrame) {
      return {
        ok: false,
        error: { code: 'AUTH', message: 'This window is not allowed to talk to Hearth.', hint: '' },
      };
    }
    return app.dispatch(call, input);
  });
  return () => ipcMain.removeHandler(IPC_INVOKE);
}

/** Forwards core's events to a window for as long as it lives. */
export function forwardEvents(app: HearthApp, contents: WebContents): void {
  const unsubscribe = app.subscribe((event, payload) => {
    if (!contents.isDestroyed()) contents.send(IPC_EVENT, event, payload);
  });
  contents.once('destroyed', unsubscribe);
}
