import { mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { clearStaleLocks } from './stale-locks.ts';

describe('stale Pulumi stack locks after Hearth was killed mid-operation', () => {
  it('removes a lock whose process is gone on this computer, and keeps live or foreign ones', async () => {
    const state = await mkdtemp(join(tmpdir(), 'hearth-locks-'));
    const dir = join(state, '.pulumi', 'locks', 'organization', 'hearth', 'do-alpha');
    await mkdir(dir, { recursive: true });
    const lock = (pid: number, host = hostname()) => JSON.stringify({ pid, username: 'me', hostname: host, timestamp: new Date().toISOString() });
    await writeFile(join(dir, 'dead.json'), lock(999_999));
    await writeFile(join(dir, 'alive.json'), lock(process.pid));
    await writeFile(join(dir, 'other-host.json'), lock(999_999, 'another-computer'));
    const other = join(state, '.pulumi', 'locks', 'organization', 'hearth', 'do-beta');
    await mkdir(other, { recursive: true });
    await writeFile(join(other, 'dead.json'), lock(999_999));

    const removed = await clearStaleLocks(state, 'do-alpha', (pid) => pid === process.pid);
    expect(removed).toEqual([join(dir, 'dead.json')]);
    expect((await readdir(dir)).sort()).toEqual(['alive.json', 'other-host.json']);
    expect(await readdir(other)).toEqual(['dead.json']);
    expect(await clearStaleLocks(join(state, 'nothing-here'), 'do-alpha')).toEqual([]);
  });
});
