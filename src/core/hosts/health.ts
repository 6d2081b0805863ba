import type { HostHealth } from '../../shared/contract/hosts.ts';
import { HearthError } from '../../shared/errors.ts';
import type { Server } from '../../shared/contract/servers.ts';
import { httpsGet } from './https-probe.ts';
import type { ResolveAddresses } from './resolve.ts';
import type { SshSession } from './ssh/index.ts';
import { shellQuote } from './ssh/shell-quote.ts';

/** Thresholds from the infrastructure guide's monitoring table. */
export const THRESHOLDS = { cpuPercent: 80, memoryPercent: 90, diskPercent: 80, responseMs: 500 } as const;

// Two /proc/stat samples half a second apart give the CPU use now; the rest is one read each.
const METRICS_SCRIPT = String.raw`
read -r _ a1 b1 c1 d1 e1 f1 g1 _ < /proc/stat; sleep 0.5; read -r _ a2 b2 c2 d2 e2 f2 g2 _ < /proc/stat
total=$(( (a2+b2+c2+d2+e2+f2+g2) - (a1+b1+c1+d1+e1+f1+g1) )); idle=$(( (d2+e2) - (d1+e1) ))
[ "$total" -gt 0 ] && echo "cpu=$(( 100 * (total - idle) / total ))"
awk '/^MemTotal:/ { t = $2 } /^MemAvailable:/ { a = $2 } END { if (t > 0) printf "mem=%d\n", 100 * (t - a) / t }' /proc/meminfo
dir=/pds; [ -d "$dir" ] || dir=/
df -P "$dir" | awk 'NR==2 { sub("%", "", $5); print "disk=" $5 }'
for unit in $HEARTH_UNITS; do
  if systemctl is-active --quiet "$unit" 2>/dev/null; then echo "unit_$unit=active"; else echo "unit_$unit=inactive"; fi
done
true
`;

/**
 * How the server itself is doing, read over SSH from /proc and the service manager, plus what a
 * visitor sees over HTTPS (certificate expiry, _health latency and version). Never throws for a
 * sick server: a failed part is reported as unknown with a warning.
 */
export async function probeHostHealth(ssh: SshSession, server: Server, options: { resolve: ResolveAddresses; ca: string | null }): Promise<HostHealth> {
  const warnings: string[] = [];
  const units = server.install?.runtime === 'official' ? [] : ['pds', 'caddy'];
  const facts = new Map<string, string>();
  try {
    const result = await ssh.exec(`HEARTH_UNITS=${shellQuote(units.join(' '))} bash -c ${shellQuote(METRICS_SCRIPT)}`, { quiet: true });
    for (const line of result.stdout.split('\n')) {
      const eq = line.indexOf('=');
      if (eq > 0) facts.set(line.slice(0, eq), line.slice(eq + 1).trim());
    }
  } catch (err) {
    // A changed host key blocks everything, health included: the user must decide first.
    if (err instanceof HearthError && err.code === 'HOST_KEY_MISMATCH') throw err;
    warnings.push(`Could not read the server's metrics over SSH: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (server.install?.runtime === 'official') {
    const ps = await ssh.exec('docker ps --format "{{.Names}}"', { quiet: true }).catch(() => null);
    for (const name of ['pds', 'caddy']) facts.set(`unit_${name}`, ps?.stdout.split('\n').includes(name) ? 'active' : 'inactive');
    units.push('pds', 'caddy');
  }
  const num = (key: string) => (facts.has(key) ? Number(facts.get(key)) : null);
  const cpuPercent = num('cpu');
  const memoryPercent = num('mem');
  const diskPercent = num('disk');
  if (cpuPercent !== null && cpuPercent > THRESHOLDS.cpuPercent) warnings.push(`CPU is at ${cpuPercent} %: if it stays above ${THRESHOLDS.cpuPercent} %, move to a bigger server.`);
  if (memoryPercent !== null && memoryPercent > THRESHOLDS.memoryPercent) warnings.push(`Memory is ${memoryPercent} % used: above ${THRESHOLDS.memoryPercent} %, add memory.`);
  if (diskPercent !== null && diskPercent > THRESHOLDS.diskPercent) warnings.push(`The disk of /pds is ${diskPercent} % full: above ${THRESHOLDS.diskPercent} %, add storage.`);
  const services = units.map((name) => ({ name, active: facts.get(`unit_${name}`) === 'active' }));
  for (const s of services) if (!s.active) warnings.push(`The ${s.name} service is not running.`);

  let responseMs: number | null = null;
  let version: string | null = null;
  let certificateExpiresAt: string | null = null;
  if (server.install) {
    try {
      const res = await httpsGet(`${server.url}/xrpc/_health`, { resolve: options.resolve, ...(options.ca && { ca: options.ca }), timeoutMs: 5_000 });
      responseMs = res.responseMs;
      certificateExpiresAt = res.certificateExpiresAt;
      const parsed = JSON.parse(res.body) as { version?: unknown };
      version = typeof parsed.version === 'string' ? parsed.version.slice(0, 100) : null;
      if (res.status !== 200) warnings.push(`The PDS answered its health check with HTTP ${res.status}.`);
      if (responseMs > THRESHOLDS.responseMs) warnings.push(`The PDS took ${responseMs} ms to answer (more than ${THRESHOLDS.responseMs} ms).`);
      if (certificateExpiresAt && Date.parse(certificateExpiresAt) - Date.now() < 14 * 24 * 3600 * 1000 && server.install.tlsMode === 'acme') {
        warnings.push(`The HTTPS certificate expires on ${certificateExpiresAt.slice(0, 10)} and has not been renewed yet.`);
      }
    } catch (err) {
      warnings.push(`${server.url} does not answer over HTTPS (${err instanceof Error ? err.message : String(err)}).`);
    }
  }
  return { serverId: server.id, checkedAt: new Date().toISOString(), cpuPercent, memoryPercent, diskPercent, services, certificateExpiresAt, responseMs, version, warnings };
}
