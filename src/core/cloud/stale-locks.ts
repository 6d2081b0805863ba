import { readdir, readFile, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';

/**
 * Pulumi's file backend locks a stack while an operation runs, with a JSON file
 * (`.pulumi/locks/…/<stack>/<id>.json`: pid, username, hostname, timestamp). When Hearth is killed
 * mid-operation the lock stays behind and every later operation is refused. A lock whose process
 * is gone on this computer cannot be protecting anything: it is removed. Locks from another
 * computer or from a live process are left alone.
 */
export async function clearStaleLocks(stateDir: string, stackName: string, isAlive: (pid: number) => boolean = processAlive): Promise<string[]> {
  const removed: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.name.endsWith('.json') && dir.endsWith(`/${stackName}`)) {
        try {
          const lock = JSON.parse(await readFile(path, 'utf8')) as { pid?: unknown; hostname?: unknown };
          if (typeof lock.pid === 'number' && lock.hostname === hostname() && !isAlive(lock.pid)) {
            await rm(path, { force: true });
            removed.push(path);
          }
        } catch {
          // Not a lock Hearth understands: leave it for Pulumi to report.
        }
      }
    }
  };
  await walk(join(stateDir, '.pulumi', 'locks'));
  return removed;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
