import { getBridge } from '../bridge/index.ts';
import { useAppStore } from './app.ts';
import { useJobsStore } from './jobs.ts';
import { useSandboxStore } from './sandbox.ts';
import { useServersStore } from './servers.ts';

/** Loads everything this window shows; runs at start and after every reconnection. */
export async function reloadAll(): Promise<void> {
  const jobs = useJobsStore.getState();
  await Promise.all([
    useAppStore.getState().load(),
    useServersStore.getState().load(),
    useSandboxStore.getState().load(),
    jobs.loadJobs(),
    // Logs followed before a disconnection may have missed lines.
    ...Object.keys(jobs.logs).map((id) => jobs.loadJob(id)),
  ]);
  void useServersStore.getState().checkAll();
}

let started = false;

/** Subscribes the stores to Hearth's events and loads the first data. Idempotent. */
export function startSync(): void {
  if (started) return;
  started = true;
  const handle = getBridge();
  const { bridge } = handle;

  bridge.on('jobs.updated', (job) => useJobsStore.getState().upsert(job));
  bridge.on('jobs.log', ({ jobId, line }) => useJobsStore.getState().appendLog(jobId, line));

  bridge.on('servers.changed', () => {
    void (async () => {
      await Promise.all([useServersStore.getState().load(), useAppStore.getState().load()]);
      const { servers, health, checkHealth } = useServersStore.getState();
      for (const server of servers ?? []) if (!health[server.id]?.health) void checkHealth(server.id);
    })();
  });

  bridge.on('sandbox.status', (status) => {
    const previous = useSandboxStore.getState().status?.state;
    useSandboxStore.getState().setStatus(status);
    if (previous !== status.state && (status.state === 'running' || status.state === 'stopped' || status.state === 'crashed')) {
      const { servers, checkHealth } = useServersStore.getState();
      for (const server of servers ?? []) if (server.kind === 'sandbox') void checkHealth(server.id);
    }
  });

  let wasOpen = handle.getStatus().state === 'open';
  handle.onStatus((status) => {
    const open = status.state === 'open';
    if (open && !wasOpen) void reloadAll();
    wasOpen = open;
  });
  if (wasOpen) void reloadAll();
}
