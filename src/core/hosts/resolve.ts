import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';

/** Resolves a name to its addresses (all families). Injected so tests never edit /etc/hosts. */
export type ResolveAddresses = (hostname: string) => Promise<string[]>;

/**
 * The system resolver, with fixed answers ("pds.test=127.0.0.1,*.pds.test=127.0.0.1") like
 * `curl --resolve`: the host passes them (tests, for their servers on loopback); core reads no
 * environment for them.
 */
export function systemResolver(overrides = ''): ResolveAddresses {
  const fixed = parseOverrides(overrides);
  return async (hostname) => {
    const name = hostname.toLowerCase();
    if (isIP(name)) return [name];
    const exact = fixed.get(name);
    if (exact) return [exact];
    for (const [pattern, address] of fixed) {
      if (pattern.startsWith('*.') && name.endsWith(pattern.slice(1))) return [address];
    }
    try {
      return (await dnsLookup(name, { all: true })).map((a) => a.address);
    } catch {
      return [];
    }
  };
}

function parseOverrides(text: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const entry of text.split(',')) {
    const [name, address] = entry.split('=').map((s) => s.trim());
    if (name && address && isIP(address)) map.set(name.toLowerCase(), address);
  }
  return map;
}

/** A `lookup` for node:https/net that answers from a resolver. */
export function lookupFrom(resolve: ResolveAddresses) {
  return (
    hostname: string,
    options: { all?: boolean } | number | undefined,
    callback: (err: NodeJS.ErrnoException | null, address: string | { address: string; family: number }[], family?: number) => void,
  ): void => {
    resolve(hostname).then(
      (addresses) => {
        const first = addresses[0];
        if (!first) {
          const err: NodeJS.ErrnoException = new Error(`${hostname} does not resolve`);
          err.code = 'ENOTFOUND';
          return callback(err, '', 4);
        }
        if (typeof options === 'object' && options?.all) return callback(null, addresses.map((address) => ({ address, family: isIP(address) })));
        callback(null, first, isIP(first));
      },
      (err: NodeJS.ErrnoException) => callback(err, '', 4),
    );
  };
}
