/**
 * A real "server" for tests that need one over SSH: a fresh Debian 12 root booted in its own
 * namespaces with its own sshd on a loopback port (scripts/test-server.sh does the work).
 *
 * API (kept stable; the backups tests build on it):
 *   const server = await startTestServer();          // fresh copy of the cached base root
 *   server.host / server.port / server.username       // '127.0.0.1', a free port, 'root'
 *   server.privateKey                                 // OpenSSH ed25519 private key (string) allowed as root
 *   server.keyPath                                    // the same key as a file (for ssh/scp)
 *   server.hostKeyFingerprint                         // 'SHA256:…' as ssh-keygen -l prints it
 *   server.root                                       // the server's filesystem, seen from this machine
 *   await server.exec('cat /etc/os-release')          // sh -c inside the server, not over SSH: {code, stdout, stderr}
 *                                                     // (redirect the output of commands that start daemons, or it waits for them)
 *   await server.stop()                               // stops every process in it, removes the copy
 *   testServerUnavailable()                           // null, or why this machine cannot run one (for skipIf)
 *
 * Several may run at once (each gets its own name, port, host keys and filesystem). The base root
 * and npm's cache are cached in $HEARTH_TEST_CACHE (default /var/cache/hearth-test): the first
 * start ever takes about a minute, later ones about two seconds.
 */
import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'scripts', 'test-server.sh');

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface TestServer {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly username: string;
  readonly privateKey: string;
  readonly keyPath: string;
  readonly hostKeyFingerprint: string;
  readonly root: string;
  exec(command: string): Promise<ExecResult>;
  stop(): Promise<void>;
}

const running = new Set<string>();
let exitHookInstalled = false;

/** Why test servers cannot run here, or null when they can. */
export function testServerUnavailable(): string | null {
  if (process.platform !== 'linux') return 'test servers need Linux namespaces';
  if (process.getuid?.() !== 0) return 'test servers need root (namespaces, chroot, debootstrap)';
  for (const tool of ['/usr/sbin/debootstrap', '/usr/bin/unshare', '/usr/bin/ssh-keygen']) {
    if (!existsSync(tool)) return `${tool} is missing (apt-get install debootstrap util-linux openssh-client)`;
  }
  return null;
}

export async function startTestServer(options: { name?: string; port?: number } = {}): Promise<TestServer> {
  const name = options.name ?? `hs-${randomBytes(4).toString('hex')}`;
  const args = ['start', name, ...(options.port ? [String(options.port)] : [])];
  const { stdout } = await run(SCRIPT, args, { maxBuffer: 1 << 20 }).catch((err: { stderr?: string; message: string }) => {
    throw new Error(`The test server did not start: ${err.stderr?.trim() || err.message}`);
  });
  running.add(name);
  installExitHook();
  const info = Object.fromEntries(
    stdout
      .split('\n')
      .filter((line) => line.includes('='))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  ) as Record<string, string | undefined>;
  const field = (key: string): string => {
    const value = info[key];
    if (!value) throw new Error(`test-server.sh did not report ${key}`);
    return value;
  };
  const keyPath = field('KEY');
  let stopped: Promise<void> | undefined;
  return {
    name,
    host: '127.0.0.1',
    port: Number(field('PORT')),
    username: 'root',
    privateKey: readFileSync(keyPath, 'utf8'),
    keyPath,
    hostKeyFingerprint: field('HOST_KEY_FINGERPRINT'),
    root: field('ROOT'),
    exec: async (command) => {
      try {
        const { stdout: out, stderr } = await run(SCRIPT, ['exec', name, 'sh', '-c', command], { maxBuffer: 64 << 20 });
        return { code: 0, stdout: out, stderr };
      } catch (err) {
        const e = err as { code?: unknown; stdout?: string; stderr?: string };
        if (typeof e.code !== 'number') throw err;
        return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
      }
    },
    stop: () => {
      stopped ??= run(SCRIPT, ['stop', name]).then(() => {
        running.delete(name);
      });
      return stopped;
    },
  };
}

/** A test process that dies without stop() still leaves no server behind. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const name of running) spawnSync(SCRIPT, ['stop', name], { stdio: 'ignore' });
  });
}
