/**
 * Where the sandbox keeps things on disk, and its one settings file. Nothing secret lives here:
 * secrets are in the keychain (see secrets.ts).
 */
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { HearthError } from '../../shared/errors.ts';
import { writeFileAtomic } from '../fs/atomic-write.ts';

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

/** Written atomically: readers never see a torn file, even after a crash mid-write. */
export async function writeSandboxConfig(path: string, config: SandboxConfig): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFileAtomic(path, `${JSON.stringify(config, null, 2)}\n`);
}
