/**
 * What the panel and the sandbox's child processes say to each other over the Node IPC channel.
 * The channel is a socket pair between the two processes: secrets sent here never touch the disk,
 * argv or the child's environment.
 */

/** First message to the PLC child. */
export interface PlcChildConfig {
  type: 'config';
  port: number;
  /** Append-only journal of accepted PLC operations (JSON lines), replayed at start. */
  operationsFile: string;
}

/** First message to the PDS child. */
export interface PdsChildConfig {
  type: 'config';
  port: number;
  /** Directory for account.sqlite, sequencer.sqlite, did_cache.sqlite and actors/. */
  dataDirectory: string;
  blobstoreDirectory: string;
  blobstoreTmpDirectory: string;
  plcUrl: string;
  handleDomain: string;
  secrets: {
    jwtSecret: string;
    adminPassword: string;
    plcRotationKeyHex: string;
  };
}

export type ChildConfig = PlcChildConfig | PdsChildConfig;

/** Parent → child after the config. */
export interface ShutdownMessage {
  type: 'shutdown';
}

/** Child → parent. */
export type ChildReport =
  | { type: 'ready'; port: number }
  /** Start-up failed; code is a Node error code when there is one (EADDRINUSE…). */
  | { type: 'failed'; message: string; code?: string };

export function isChildReport(value: unknown): value is ChildReport {
  if (typeof value !== 'object' || value === null) return false;
  const type = (value as { type?: unknown }).type;
  return type === 'ready' || type === 'failed';
}
