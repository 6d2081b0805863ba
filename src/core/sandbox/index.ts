/**
 * "Try it locally": a real PLC and PDS on this computer, as child processes. The PDS and PLC
 * libraries are loaded only inside those children (plc-child.ts, pds-child.ts), never here.
 */
export { Sandbox, type SandboxOptions, type SandboxTimeouts, type SandboxUrls } from './sandbox.ts';
export { SANDBOX_SERVER_ID } from './secrets.ts';
export type { ChildHandle, ChildSpawner } from './child-process.ts';
export { sandboxPaths, type SandboxPaths } from './config.ts';
