import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Server } from '../../shared/contract/servers.ts';
import { ConfigStore } from './config-store.ts';

const tempDir = () => mkdtemp(join(tmpdir(), 'hearth-config-'));
const server = (i: number): Server => ({
  id: `srv-${i}`,
  name: `Server ${i}`,
  kind: 'ssh',
  url: `https://pds${i}.example.com`,
  createdAt: new Date(0).toISOString(),
});

describe('ConfigStore', () => {
  it('starts empty and saves what it is given', async () => {
    const dir = await tempDir();
    const store = await ConfigStore.open(dir);
    expect(store.get().servers).toEqual([]);
    await store.update((c) => void c.servers.push(server(1)));
    const reopened = await ConfigStore.open(dir);
    expect(reopened.get().servers).toEqual([server(1)]);
    expect(reopened.problem()).toBeNull();
  });

  it('loses no edit under concurrent saves and never leaves a torn file', async () => {
    const dir = await tempDir();
    const store = await ConfigStore.open(dir);
    await Promise.all(Array.from({ length: 40 }, (_, i) => store.update((c) => void c.servers.push(server(i)))));
    const onDisk = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
    expect(onDisk.servers).toHaveLength(40);
    // No temp files are left behind.
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('a reader in another process always sees a whole file while saves are going on', async () => {
    const dir = await tempDir();
    const store = await ConfigStore.open(dir);
    await store.update((c) => void c.servers.push(server(0)));
    // A separate process reads config.json as fast as it can while this one writes.
    const reader = spawn(
      process.execPath,
      [
        '-e',
        `const fs=require('fs');let n=0,bad=0;const end=Date.now()+1500;
         while(Date.now()<end){try{JSON.parse(fs.readFileSync(process.argv[1],'utf8'));n++}catch(e){bad++}}
         console.log(JSON.stringify({n,bad}))`,
        join(dir, 'config.json'),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const out = new Promise<string>((resolve) => {
      let text = '';
      reader.stdout.on('data', (d: Buffer) => (text += d));
      reader.on('close', () => resolve(text));
    });
    for (let i = 1; i < 150; i++) await store.update((c) => void c.servers.push(server(i)));
    const { n, bad } = JSON.parse(await out);
    expect(n).toBeGreaterThan(0);
    expect(bad).toBe(0);
  });

  it('keeps a corrupted file aside and reports it, never overwriting it', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'config.json'), '{"version":1,"servers":[{"id":');
    const store = await ConfigStore.open(dir);
    const problem = store.problem();
    expect(problem?.message).toMatch(/not valid JSON/);
    expect(problem?.message).toContain(problem?.keptAt);
    expect(await readFile(problem!.keptAt, 'utf8')).toBe('{"version":1,"servers":[{"id":');
    // Saving afterwards writes a fresh file and leaves the kept copy alone.
    await store.update((c) => void c.servers.push(server(1)));
    expect(await readFile(problem!.keptAt, 'utf8')).toBe('{"version":1,"servers":[{"id":');
  });

  it('keeps a file from a newer Hearth aside with a message naming the versions', async () => {
    const dir = await tempDir();
    const newer = JSON.stringify({ version: 7, servers: [], somethingNew: true });
    await writeFile(join(dir, 'config.json'), newer);
    const store = await ConfigStore.open(dir);
    expect(store.problem()?.message).toMatch(/newer version of Hearth \(format 7; this version reads 1\)/);
    expect(await readFile(store.problem()!.keptAt, 'utf8')).toBe(newer);
  });

  it('refuses a change that would make the config invalid, and keeps the old one', async () => {
    const dir = await tempDir();
    const store = await ConfigStore.open(dir);
    await store.update((c) => void c.servers.push(server(1)));
    await expect(store.update((c) => void c.servers.push({ ...server(2), url: 'not a url' }))).rejects.toThrow();
    expect(store.get().servers).toEqual([server(1)]);
    expect(JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')).servers).toEqual([server(1)]);
  });
});
