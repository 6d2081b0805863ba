import type { z } from 'zod';
import { accountsCalls } from './accounts.ts';
import { appCalls, appEvents } from './app.ts';
import { backupsCalls, backupsEvents } from './backups.ts';
import { cloudCalls, cloudEvents } from './cloud.ts';
import { feedCalls } from './feed.ts';
import { feedActionCalls } from './feed-actions.ts';
import { hostsCalls } from './hosts.ts';
import { jobsCalls, jobsEvents } from './jobs.ts';
import { networkCalls } from './network.ts';
import { sandboxCalls, sandboxEvents } from './sandbox.ts';
import { serversCalls, serversEvents } from './servers.ts';

export * from './accounts.ts';
export * from './app.ts';
export * from './backups.ts';
export * from './cloud.ts';
export * from './feed.ts';
export * from './feed-actions.ts';
export * from './hosts.ts';
export * from './jobs.ts';
export * from './network.ts';
export * from './sandbox.ts';
export * from './servers.ts';
export type { CallSpec } from './define.ts';

/**
 * Every call the renderer can make, by name. Adding a call means adding its schema here (in its
 * service's file) and its handler in core; the bridges, preload and browser client are generic.
 */
export const calls = {
  ...appCalls,
  ...jobsCalls,
  ...serversCalls,
  ...sandboxCalls,
  ...accountsCalls,
  ...cloudCalls,
  ...hostsCalls,
  ...backupsCalls,
  ...feedCalls,
  ...feedActionCalls,
  ...networkCalls,
};

/** Every event core pushes to the renderer, by name. */
export const events = {
  ...appEvents,
  ...jobsEvents,
  ...serversEvents,
  ...sandboxEvents,
  ...cloudEvents,
  ...backupsEvents,
};

export type Calls = typeof calls;
export type CallName = keyof Calls;
export type CallInput<C extends CallName> = z.input<Calls[C]['input']>;
export type CallOutput<C extends CallName> = z.output<Calls[C]['output']>;

export type Events = typeof events;
export type EventName = keyof Events;
export type EventPayload<E extends EventName> = z.output<Events[E]>;

export const isCallName = (name: unknown): name is CallName =>
  typeof name === 'string' && Object.hasOwn(calls, name);
export const isEventName = (name: unknown): name is EventName =>
  typeof name === 'string' && Object.hasOwn(events, name);
