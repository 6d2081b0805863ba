import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Redactor } from '../log/redact.ts';
import { RotatingLogFile } from './log-file.ts';

describe('sandbox log file', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hearth-sandbox-log-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('redacts secrets even when a chunk boundary splits them', async () => {
    const redactor = new Redactor();
    redactor.register('s3cr3t-value');
    const log = new RotatingLogFile(join(dir, 'logs', 'pds.log'), redactor);
    const stream = new PassThrough();
    log.follow(stream);
    stream.write('password is s3cr');
    stream.write('3t-value ok\nsecond line');
    stream.end();
    await new Promise((resolve) => setImmediate(resolve));
    await log.flush();
    expect(await readFile(log.path, 'utf8')).toBe('password is [redacted] ok\nsecond line\n');
  });

  it('rotates to a single .1 file instead of growing without bound', async () => {
    const log = new RotatingLogFile(join(dir, 'pds.log'), new Redactor(), 1_000);
    for (let i = 0; i < 100; i += 1) await log.writeLine(`line ${i} ${'x'.repeat(40)}`);
    const current = await readFile(log.path, 'utf8');
    const previous = await readFile(`${log.path}.1`, 'utf8');
    expect(current.length).toBeLessThanOrEqual(1_000);
    expect(previous.length).toBeLessThanOrEqual(1_000);
    expect(current).toContain('line 99 ');
  });
});
