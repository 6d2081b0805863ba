import { z } from 'zod';
import { call } from './define.ts';
import { JobId } from './jobs.ts';

export const SandboxState = z.enum(['absent', 'stopped', 'starting', 'running', 'stopping', 'crashed']);
export type SandboxState = z.infer<typeof SandboxState>;

export const SandboxStatus = z.object({
  state: SandboxState,
  pdsUrl: z.string().nullable(),
  plcUrl: z.string().nullable(),
  /** Plain words: why it crashed, or what it is doing. */
  message: z.string(),
});
export type SandboxStatus = z.infer<typeof SandboxStatus>;

const JobStarted = z.object({ jobId: JobId });

export const sandboxCalls = {
  'sandbox.status': call(z.object({}).strict(), SandboxStatus),
  /** Creates the sandbox on first use (secrets into the keychain), then starts it: a job. */
  'sandbox.start': call(z.object({}).strict(), JobStarted),
  'sandbox.stop': call(z.object({}).strict(), JobStarted),
};

export const sandboxEvents = {
  'sandbox.status': SandboxStatus,
};
