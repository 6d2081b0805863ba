import type { JobContext } from '../jobs/job-context.ts';
import type { HostRunner } from './host-runner.ts';

/** How the PDS on a server is stopped and started around a restore. */
export interface PdsControl {
  stop(ctx: JobContext): Promise<void>;
  start(ctx: JobContext): Promise<void>;
  /** False once the PDS is known to be down (no point waiting for its health then). */
  running?: () => boolean;
}

/** Everything backups need to know about one server. */
export interface BackupHost {
  serverId: string;
  name: string;
  runner: HostRunner;
  /** Where hearth-*.sh live on that server. */
  scriptsDir: string;
  /** The settings file the scripts read (secrets in it only on remote servers, mode 600). */
  envFile: string;
  stateDir: string;
  pdsDataDir: string;
  pdsBlobsDir: string;
  pdsEnvFile: string;
  /** Public PDS URL, for the post-restore checks (health, each repo's latest commit). */
  pdsUrl: () => Promise<string>;
  /** fetch that reaches that PDS (a server's own CA, Hearth's resolver); default global fetch. */
  fetch?: typeof fetch;
  /** Puts the scripts (and restic, the timer) on the server; idempotent. */
  install?: (ctx?: JobContext) => Promise<void>;
  pds: PdsControl;
  /** Plain words for the screen about how backups run there. */
  note: string;
  /** Whether a timer on the server runs backups by itself. */
  scheduled: boolean;
  /** When that timer fires next, if the server can say. */
  nextRun?: () => Promise<string | null>;
}
