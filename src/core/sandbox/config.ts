/**
 * Where the sandbox keeps things on disk, and its one settings file. Nothing secret lives here:
 * secrets are in the keychain (see secrets.ts).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import { HearthError } from '../../shared/errors.ts';

export interface SandboxPaths {
  root: string;
  configFile: string;
  plcOperations: string;
  pdsData: string;
  pdsBlobs: string;
  pdsBlobsTmp: string;
  logs: string;
  plcLog: string;
  pdsLog: string;
}

export function sandboxPaths(dataDir: string): SandboxPaths {
  const root = join(dataDir, 'sandbox');
  const logs = join(root, 'logs');
  return {
    root,
    configFile: join(root, 'sandbox.json'),
    plcOperations: join(root, 'plc', 'operations.jsonl'),
    pdsData: join(root, 'pds'),
    pdsBlobs: join(root, 'pds', 'blocks'),
    pdsBlobsTmp: join(root, 'pds', 'tmp'),
    logs,
    plcLog: join(logs, 'plc.log'),
    pdsLog: join(logs, 'pds.log'),
  };
}

const Port = z.number().int().min(1).max(65535);

export const SandboxConfig = z.object({
  version: z.literal(1),
  /** Fixed for the sandbox's life: the PDS URL (with this port) is written into every DID. */
  pdsPort: Port,
  /** May move if another program takes it: only the PDS knows this address. */
  plcPort: Port,
  /** Handles are <name><handleDomain>; the PDS accepts ".test" for a "localhost" hostname. */
  handleDomain: z.string().startsWith('.'),
  createdAt: z.string(),
});
export type SandboxConfig = z.infer<typeof SandboxConfig>;

export const pdsUrlFor = (config: SandboxConfig): string => `http://localhost:${config.pdsPort}`;
/**
 * "localhost", not 127.0.0.1: the PDS resolves DIDs with a fetch that refuses IP-literal hosts
 * (@atproto/identity, allowIpHost: false, even in dev mode), so an IP PLC URL breaks every DID lookup.
 */
export const plcUrlFor = (config: SandboxConfig): string => `http://localhost:${config.plcPort}`;

/** The saved settings, or null when the sandbox was never created. */
export async function readSandboxConfig(path: string): Promise<SandboxConfig | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  let parsed;
  try {
    parsed = SandboxConfig.safeParse(JSON.parse(text));
  } catch {
    parsed = null;
  }
  if (!parsed?.success) {
    throw new HearthError(
      'INTERNAL',
      `The sandbox settings file is damaged (${path}).`,
      'Remove the sandbox and create it again; its test accounts will be lost.',
    );
  }
  return parsed.data;
}

/**
 * Readers see the old or the new file, never a torn one: temp file beside it, fsync, rename, then
 * fsync the directory so the rename itself survives a power cut.
 */
export async function writeSandboxConfig(path: string, config: SandboxConfig): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const temp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temp, 'w', 0o600);
  try {
    await handle.writeFile(`${JSON.stringify(config, null, 2)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
  const dirHandle = await open(dir, 'r').catch(() => null);
  try {
    await dirHandle?.sync();
  } catch {
    // Some filesystems refuse fsync on a directory; the rename is atomic there anyway.
  } finally {
    await dirHandle?.close();
  }
}
