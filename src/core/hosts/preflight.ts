import { randomBytes } from 'node:crypto';
import type { PreflightCheck, PreflightResult } from '../../shared/contract/hosts.ts';
import { HearthError } from '../../shared/errors.ts';
import type { ResolveAddresses } from './resolve.ts';
import type { SshSession } from './ssh/index.ts';
import { shellQuote } from './ssh/shell-quote.ts';

/** Sizing from the infrastructure guide: 1 GB runs ~20 accounts, 2 GB ~100. Reported MemTotal is a little under nominal. */
const MIN_MEMORY_MB = 900;
const COMFORT_MEMORY_MB = 1_900;
const MIN_FREE_DISK_GB = 2;
const COMFORT_FREE_DISK_GB = 10;

const SUPPORTED_OS = new Map([
  ['ubuntu 22.04', 'Ubuntu 22.04'],
  ['ubuntu 24.04', 'Ubuntu 24.04'],
  ['debian 12', 'Debian 12'],
]);

// One round trip: every fact the checks need, as KEY=VALUE lines.
const FACTS_SCRIPT = String.raw`
. /etc/os-release 2>/dev/null || true
echo "os_id=$ID"; echo "os_version=$VERSION_ID"; echo "os_name=$PRETTY_NAME"
echo "arch=$(uname -m)"
awk '/^MemTotal:/ { print "mem_kb=" $2 }' /proc/meminfo
dir=/pds; [ -d "$dir" ] || dir=/
df -Pk "$dir" | awk 'NR==2 { print "disk_free_kb=" $4; print "disk_total_kb=" $2 }'
echo "disk_path=$dir"
echo "uid=$(id -u)"
if sudo -n true 2>/dev/null; then echo sudo=yes; else echo sudo=no; fi
echo "addresses=$(hostname -I 2>/dev/null || true)"
for port in $HEARTH_PORTS; do
  line="$(ss -Hltnp "sport = :$port" 2>/dev/null | head -n 1)"
  [ -n "$line" ] && echo "port_$port=$(printf '%s' "$line" | grep -o 'users:(("[^"]*"' | cut -d'"' -f2)"
done
true
`;

export interface PreflightOptions {
  hostname: string;
  httpsPort: number;
  httpPort: number;
  resolve: ResolveAddresses;
  signal?: AbortSignal;
}

/**
 * Checks a server before anything is installed, each finding with a fix in plain words. Only
 * reads: nothing on the server changes.
 */
export async function runPreflight(ssh: SshSession, options: PreflightOptions): Promise<PreflightResult> {
  const ports = [options.httpPort, options.httpsPort];
  const result = await ssh.exec(`HEARTH_PORTS=${shellQuote(ports.join(' '))} sh -c ${shellQuote(FACTS_SCRIPT)}`, {
    quiet: true,
    ...(options.signal && { signal: options.signal }),
  });
  const facts = new Map<string, string>();
  for (const line of result.stdout.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) facts.set(line.slice(0, eq), line.slice(eq + 1).trim());
  }
  const fact = (key: string) => facts.get(key) ?? '';
  const checks: PreflightCheck[] = [];
  const add = (id: PreflightCheck['id'], label: string, status: PreflightCheck['status'], detail: string, fix = '') =>
    checks.push({ id, label, status, detail, fix: status === 'pass' ? '' : fix });

  // Operating system
  const osKey = `${fact('os_id')} ${fact('os_version')}`;
  const osName = fact('os_name') || 'an unknown system';
  add(
    'os',
    'Operating system',
    SUPPORTED_OS.has(osKey) ? 'pass' : 'fail',
    `The server runs ${osName}.`,
    'Hearth installs on Ubuntu 22.04, Ubuntu 24.04 or Debian 12. Rebuild the server with one of them (your provider offers them as images).',
  );

  // Architecture
  const arch = fact('arch');
  add(
    'arch',
    'Processor',
    arch === 'x86_64' || arch === 'aarch64' ? 'pass' : 'fail',
    `The processor architecture is ${arch || 'unknown'}.`,
    'The PDS runs on x86-64 (amd64) or 64-bit ARM (arm64) servers. Choose one of those.',
  );

  // Memory
  const memoryMb = Math.round(Number(fact('mem_kb')) / 1024);
  add(
    'memory',
    'Memory',
    memoryMb >= COMFORT_MEMORY_MB ? 'pass' : memoryMb >= MIN_MEMORY_MB ? 'warn' : 'fail',
    `${formatMb(memoryMb)} of memory.` + (memoryMb >= COMFORT_MEMORY_MB ? ' Enough for about 100 accounts.' : memoryMb >= MIN_MEMORY_MB ? ' Enough for about 20 accounts.' : ''),
    memoryMb >= MIN_MEMORY_MB
      ? 'Fine to start. For more than about 20 accounts, resize the server to 2 GB.'
      : 'A PDS needs at least 1 GB of memory. Resize the server (2 GB for up to about 100 accounts).',
  );

  // Disk
  const freeGb = Number(fact('disk_free_kb')) / 1024 / 1024;
  add(
    'disk',
    'Free disk space',
    freeGb >= COMFORT_FREE_DISK_GB ? 'pass' : freeGb >= MIN_FREE_DISK_GB ? 'warn' : 'fail',
    `${freeGb.toFixed(1)} GB free on ${fact('disk_path') || '/'}.`,
    freeGb >= MIN_FREE_DISK_GB
      ? 'Enough to start, but photos and videos fill it: plan for 20 GB or more.'
      : 'Free some space or add a larger disk: the PDS needs at least 2 GB to start, 20 GB to grow.',
  );

  // Ports
  const busy = ports
    .map((port) => ({ port, by: facts.get(`port_${port}`) }))
    .filter((p): p is { port: number; by: string } => p.by !== undefined && p.by !== 'caddy');
  add(
    'ports',
    `Ports ${ports.join(' and ')}`,
    busy.length === 0 ? 'pass' : 'fail',
    busy.length === 0
      ? `Ports ${ports.join(' and ')} are free (or used by Caddy, which Hearth manages).`
      : busy.map((b) => `Port ${b.port} is in use by ${b.by || 'another program'}.`).join(' '),
    `Caddy needs these ports for HTTPS. Stop the program using them (for example: sudo systemctl disable --now ${busy[0]?.by || 'nginx'}) and check again.`,
  );

  // Privileges
  const root = fact('uid') === '0';
  const sudo = fact('sudo') === 'yes';
  add(
    'privileges',
    'Administrator rights',
    root || sudo ? 'pass' : 'fail',
    root ? 'Hearth logs in as root.' : sudo ? 'The user can use sudo without a password.' : 'The user is not root and cannot use sudo without a password.',
    'Connect as root, or allow this user passwordless sudo (a line "USER ALL=(ALL) NOPASSWD:ALL" in /etc/sudoers.d/hearth).',
  );

  // DNS: the hostname and a random handle under it must both point here.
  // The address the user connects to first: that is the one DNS should name.
  const serverAddresses = new Set([...(await options.resolve(ssh.endpoint.host)), ...fact('addresses').split(/\s+/).filter(Boolean)]);
  const probeName = `hearth-check-${randomBytes(4).toString('hex')}.${options.hostname}`;
  const [main, wildcard] = await Promise.all([options.resolve(options.hostname), options.resolve(probeName)]);
  const pointsHere = (addresses: string[]) => addresses.length > 0 && addresses.every((a) => serverAddresses.has(a));
  const describe = (name: string, addresses: string[]) => `${name} → ${addresses.length ? addresses.join(', ') : 'nothing'}`;
  const target = [...serverAddresses][0] ?? ssh.endpoint.host;
  add(
    'dns',
    'DNS',
    pointsHere(main) && pointsHere(wildcard) ? 'pass' : 'fail',
    `${describe(options.hostname, main)}; ${describe(`*.${options.hostname}`, wildcard)}. This server is ${[...serverAddresses].join(', ') || ssh.endpoint.host}.`,
    `At your DNS provider, add two A records pointing to ${target}: "${options.hostname}" and "*.${options.hostname}" (the second makes handles like alice.${options.hostname} work). Changes can take a few minutes to show.`,
  );

  return { ok: checks.every((c) => c.status !== 'fail'), checks };
}

/** Stops an install before it touches anything when a check failed. */
export function assertPreflight(result: PreflightResult): void {
  const failed = result.checks.filter((c) => c.status === 'fail');
  if (failed.length === 0) return;
  throw new HearthError('VALIDATION', `The server is not ready: ${failed.map((c) => `${c.label}: ${c.detail}`).join(' ')}`, failed.map((c) => c.fix).join(' '));
}

const formatMb = (mb: number) => (mb >= 1024 ? `${(mb / 1024).toFixed(1)} GB` : `${mb} MB`);
