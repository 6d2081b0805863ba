import { call, getBridge } from '../bridge/index.ts';
import { useAppStore } from './app.ts';
import { useJobsStore } from './jobs.ts';
import { useNotificationsStore } from './notifications.ts';
import { useSandboxStore } from './sandbox.ts';
import { useServersStore } from './servers.ts';
import { useUiStore } from './ui.ts';

/** Loads everything this window shows; runs at start and after every reconnection. */
export async function reloadAll(): Promise<void> {
  const jobs = useJobsStore.getState();
  await Promise.all([
    useAppStore.getState().load(),
    useServersStore.getState().load(),
    useSandboxStore.getState().load(),
    jobs.loadJobs(),
    // Raised before this window connected (a scheduled backup failed while it was closed).
    call('app.notifications', {}).then(
      (notices) => notices.forEach((n) => useNotificationsStore.getState().add(n)),
      () => undefined,
    ),
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

  bridge.on('app.notification', (notice) => {
    if (!useNotificationsStore.getState().add(notice)) return;
    // In Electron the host shows a desktop notification; a browser shows one only if the user
    // already allowed it for this page (Hearth never asks out of the blue).
    if (handle.transport !== 'web' || typeof Notification === 'undefined' || Notification.permission !== 'granted') return;
    const shown = new Notification(notice.title, { body: notice.body, tag: notice.id });
    shown.onclick = () => {
      window.focus();
      useUiStore.getState().navigate({ screen: 'backups', serverId: notice.serverId });
      shown.close();
    };
  });

  // A backup finished (or failed): the server's health shows its backup (and a failure notice
  // goes once a later backup worked, see Notices).
  bridge.on('backups.changed', ({ serverId }) => {
    const servers = useServersStore.getState();
    if (servers.servers?.some((s) => s.id === serverId)) void servers.checkHealth(serverId);
  });

  let wasOpen = handle.getStatus().state === 'open';
  handle.onStatus((status) => {
    const open = status.state === 'open';
    if (open && !wasOpen) void reloadAll();
    wasOpen = open;
  });
  if (wasOpen) void reloadAll();
}
