import { utilityProcess } from 'electron';
import { EventEmitter } from 'node:events';
import { basename } from 'node:path';
import type { Readable } from 'node:stream';
import type { ChildHandle, ChildSpawner } from '../core/sandbox/index.ts';

/**
 * Starts a sandbox child (PLC, PDS) as an Electron utility process. The packaged app's RunAsNode
 * fuse is off, so Electron's binary can no longer be run as Node (ELECTRON_RUN_AS_NODE); a utility
 * process is Electron's own way to run a Node script beside the app, and loads it from the asar
 * like the main process does. Its channel is MessagePort-based: the child side adapts in
 * src/core/sandbox/child-runtime.ts, this side presents what SandboxChild expects of a process.
 */
export const utilityChildSpawner: ChildSpawner = (script, { cwd, env }) => {
  const child = utilityProcess.fork(script, [], { cwd, env, stdio: 'pipe', serviceName: `Hearth ${basename(script, '.js')}` });
  const events = new EventEmitter();
  let connected = true;
  child.on('message', (message: unknown) => events.emit('message', message));
  child.on('exit', (code) => {
    connected = false;
    events.emit('exit', code, null);
  });
  const handle: ChildHandle = {
    get pid() {
      return child.pid;
    },
    get connected() {
      return connected;
    },
    // Electron types these as NodeJS.ReadableStream; they are Node Readables.
    stdout: child.stdout as Readable | null,
    stderr: child.stderr as Readable | null,
    send: (message) => child.postMessage(message),
    kill: (signal) => {
      // utilityProcess.kill() asks politely (SIGTERM); a hard kill goes to the pid itself.
      if (signal === 'SIGKILL' && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
      else child.kill();
    },
    on: (event: string, listener: (...args: never[]) => void) => events.on(event, listener as (...args: unknown[]) => void),
    once: (event: string, listener: (...args: never[]) => void) => events.once(event, listener as (...args: unknown[]) => void),
  };
  return handle;
};
