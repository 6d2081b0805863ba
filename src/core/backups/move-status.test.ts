/**
 * The move check's verdicts, with the network replaced by answers a real PDS, PLC and Caddy give
 * (the whole path runs for real in test/backups-server-restore.test.ts; this covers the states a
 * loopback test server cannot show: the name still reaching the old server, or nothing).
 */
import { describe, expect, it } from 'vitest';
import type { Server } from '../../shared/contract/servers.ts';
import { serverMarker } from '../hosts/install.ts';
import { moveStatus, type MoveDeps } from './move-status.ts';

const HOST = 'pds.example.com';
const install = { runtime: 'native' as const, hostname: HOST, tlsMode: 'acme' as const, pdsVersion: '0.5.35', httpsPort: 443, pdsPort: 3000, installedAt: '2026-11-23T00:00:00Z' };
const oldServer: Server = { id: 'old-vps-aaaaaa', name: 'Old VPS', kind: 'ssh', url: `https://${HOST}`, createdAt: '2026-01-01T00:00:00Z', install };
const newServer: Server = { ...oldServer, id: 'new-vps-bbbbbb', name: 'New VPS' };
const dids = ['did:plc:aaaaaaaaaaaaaaaaaaaaaaaa', 'did:plc:bbbbbbbbbbbbbbbbbbbbbbbb'];

function deps(reached: string | null, endpointFor: (did: string) => string = () => `https://${HOST}`): MoveDeps {
  const text = (body: string, status = 200) => new Response(body, { status });
  return {
    servers: [oldServer, newServer],
    publicFetch: async (input) => {
      expect(String(input)).toBe(`https://${HOST}/.well-known/hearth-server`);
      if (reached === null) throw new TypeError('fetch failed');
      return text(`${reached}\n`);
    },
    direct: { url: 'http://127.0.0.1:3000', fetch: async () => Response.json({ repos: dids.map((did) => ({ did, head: 'x', rev: 'y' })) }) },
    resolveDid: async (did) => ({
      document: { id: did, alsoKnownAs: [`at://${did.slice(8, 12)}.${HOST}`], service: [{ id: '#atproto_pds', type: 'AtprotoPersonalDataServer', serviceEndpoint: endpointFor(did) }] },
      problem: null,
    }),
    address: '203.0.113.7',
  };
}

describe('moveStatus', () => {
  it('is done once the name reaches the new server and every DID names that hostname', async () => {
    const status = await moveStatus(newServer, deps(serverMarker(newServer.id)));
    expect(status.reaches).toBe('this');
    expect(status.done).toBe(true);
    expect(status.dids.map((d) => [d.handle, d.ok])).toEqual([
      [`aaaa.${HOST}`, true],
      [`bbbb.${HOST}`, true],
    ]);
    expect(status.records).toEqual([
      { type: 'A', name: HOST, value: '203.0.113.7' },
      { type: 'A', name: `*.${HOST}`, value: '203.0.113.7' },
    ]);
  });

  it('names the old server while the hostname still reaches it, and is not done', async () => {
    const status = await moveStatus(newServer, deps(serverMarker(oldServer.id)));
    expect(status.reaches).toBe('other');
    expect(status.reachedName).toBe('Old VPS');
    expect(status.done).toBe(false);
    expect(status.message).toContain('still reaches Old VPS');
    expect(status.message).toContain('203.0.113.7');
    expect(status.dids.every((d) => !d.ok && d.problem?.includes('does not reach this server yet'))).toBe(true);
  });

  it('says so when the name reaches no server at all', async () => {
    const status = await moveStatus(newServer, deps(null));
    expect(status.reaches).toBe('nothing');
    expect(status.done).toBe(false);
    expect(status.message).toContain('does not reach any server');
  });

  it('flags a DID whose document names another PDS, even once the name has moved', async () => {
    const status = await moveStatus(newServer, deps(serverMarker(newServer.id), (did) => (did === dids[1] ? 'https://elsewhere.example.net' : `https://${HOST}`)));
    expect(status.done).toBe(false);
    expect(status.dids[1]).toMatchObject({ ok: false, problem: `The DID names https://elsewhere.example.net as its PDS, not ${HOST}.` });
    expect(status.message).toContain('1 of 2 DIDs name another PDS');
  });
});
