import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { IPC_EVENT, IPC_INVOKE, type HearthBridge } from '../shared/api.ts';

/**
 * The only thing the window gets: `window.hearth`, two generic functions over the contract.
 * Main validates every call, so nothing here needs to know the calls by name.
 */
const hearth: HearthBridge = {
  invoke: (call, input) => ipcRenderer.invoke(IPC_INVOKE, call, input),
  on: (event, listener) => {
    const forward = (_e: IpcRendererEvent, name: string, payload: unknown) => {
      if (name === event) listener(payload as never);
    };
    ipcRenderer.on(IPC_EVENT, forward);
    return () => void ipcRenderer.removeListener(IPC_EVENT, forward);
  },
};

contextBridge.exposeInMainWorld('hearth', hearth);
