import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { EngineEvent } from '@pulumi/pulumi/automation/index.js';
import { CLI_RELEASES, realAutomation, type StackHandle } from '../src/core/cloud/automation.ts';
import { cloudProgram } from '../src/core/cloud/program.ts';
import { PULUMI_CLI_VERSION } from '../src/core/cloud/stack-runner.ts';

// The real Automation API adapter (realAutomation), driving the real @pulumi/pulumi LocalWorkspace
// and Stack, with the one thing this machine cannot have replaced: the Pulumi CLI binary. In its
// place, a small script at <root>/bin/pulumi records every invocation (argv, stdin, which
// environment variables it got) and answers like the CLI: stack select/init, plugin install,
// config set, preview/up writing --event-log lines, SIGINT on cancel, stack output/export. It
// reports CLI 3.200.0 so the SDK reads engine events from the --event-log file (newer CLIs stream
// the same events over gRPC).

const PASSPHRASE = 'passphrase-for-the-adapter-test-0123456789';
const TOKEN = 'dop_v1_adapter-test-token-abcdef0123456789';

const FAKE_CLI = `#!${process.execPath}
const fs = require('node:fs');
const path = require('node:path');
const root = path.resolve(__dirname, '..');
const argv = process.argv.slice(2);
const state = path.join(root, 'stacks.json');
const stacks = fs.existsSync(state) ? JSON.parse(fs.readFileSync(state, 'utf8')) : [];
let stdin = '';
const record = () => fs.appendFileSync(path.join(root, 'calls.jsonl'), JSON.stringify({
  argv, stdin, cwd: process.cwd(),
  passphrase: process.env.PULUMI_CONFIG_PASSPHRASE === undefined ? null : process.env.PULUMI_CONFIG_PASSPHRASE.length,
  home: process.env.PULUMI_HOME || null, backend: process.env.PULUMI_BACKEND_URL || null,
}) + '\\n');
const flag = (name) => { const i = argv.indexOf(name); return i === -1 ? undefined : argv[i + 1]; };
const eventLog = () => argv.find((a) => a.startsWith('--event-log='))?.slice(12) ?? flag('--event-log');
let seq = 0;
const emit = (file, event) => fs.appendFileSync(file, JSON.stringify({ sequence: seq++, timestamp: 1700000000, ...event }) + '\\n');
const DROPLET = 'urn:pulumi:srv-a::hearth::digitalocean:index/droplet:Droplet::a-droplet';
const meta = (op) => ({ op, urn: DROPLET, type: 'digitalocean:index/droplet:Droplet', provider: '' });
const [a, b] = argv;
const main = () => {
  record();
  if (a === 'version') return console.log(fs.existsSync(path.join(root, 'version')) ? fs.readFileSync(path.join(root, 'version'), 'utf8') : '3.200.0');
  if (a === 'stack' && b === 'select') {
    if (!stacks.includes(flag('--stack'))) { process.stderr.write("error: no stack named '" + flag('--stack') + "' found\\n"); process.exit(255); }
    return;
  }
  if (a === 'stack' && b === 'init') { stacks.push(argv[2]); fs.writeFileSync(state, JSON.stringify(stacks)); return; }
  if (a === 'stack' && b === 'output') return console.log(JSON.stringify({ ip: '198.51.100.23', spacesSecretKey: argv.includes('--show-secrets') ? 'scoped-secret' : '[secret]' }));
  if (a === 'stack' && b === 'history') return console.log('[]');
  if (a === 'stack' && b === 'export') return console.log(JSON.stringify({ version: 3, deployment: { pending_operations: [{ type: 'creating', resource: { urn: DROPLET, type: 'digitalocean:index/droplet:Droplet' } }] } }));
  if (a === 'preview') {
    const log = eventLog();
    emit(log, { preludeEvent: { config: {} } });
    emit(log, { resourcePreEvent: { metadata: meta('create'), planning: true } });
    emit(log, { resOutputsEvent: { metadata: meta('create'), planning: true } });
    emit(log, { summaryEvent: { maybeCorrupt: false, durationSeconds: 1, resourceChanges: { create: 1 }, PolicyPacks: {} } });
    emit(log, { cancelEvent: {} });
    return;
  }
  if (a === 'up') {
    const log = eventLog();
    emit(log, { preludeEvent: { config: {} } });
    emit(log, { resourcePreEvent: { metadata: meta('create') } });
    process.on('SIGINT', () => {
      fs.appendFileSync(path.join(root, 'calls.jsonl'), JSON.stringify({ signal: 'SIGINT' }) + '\\n');
      emit(log, { cancelEvent: {} });
      process.stderr.write('error: update canceled\\n');
      process.exit(255);
    });
    setTimeout(() => process.exit(0), 20000);
    return 'wait';
  }
};
if (a === 'config' && b === 'set' && argv.includes('--secret')) {
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (d) => (stdin += d));
  process.stdin.on('end', main);
} else if (main() !== 'wait') process.exit(0);
`;

let root: string;
let dataDir: string;
let stack: StackHandle;
const calls = async () =>
  (await readFile(join(root, 'calls.jsonl'), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { argv?: string[]; stdin?: string; passphrase?: number | null; home?: string; backend?: string; cwd?: string; signal?: string });

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'hearth-fakecli-'));
  dataDir = await mkdtemp(join(tmpdir(), 'hearth-adapter-'));
  await mkdir(join(root, 'bin'));
  await writeFile(join(root, 'bin', 'pulumi'), FAKE_CLI);
  await chmod(join(root, 'bin', 'pulumi'), 0o755);
  for (const dir of ['work', 'home', 'state']) await mkdir(join(dataDir, dir), { recursive: true });
  stack = await realAutomation().openStack({
    cliRoot: root,
    projectName: 'hearth',
    stackName: 'srv-a',
    program: cloudProgram({ name: 'a', region: 'nyc3', size: 's-1vcpu-1gb', image: 'ubuntu-24-04-x64', sshKeyFingerprint: 'aa', sshFrom: '203.0.113.7', hostname: 'a.example.com', dnsZone: null, bucketName: 'b' }),
    workDir: join(dataDir, 'work'),
    pulumiHome: join(dataDir, 'home'),
    backendUrl: `file://${join(dataDir, 'state')}`,
    envVars: { PULUMI_CONFIG_PASSPHRASE: PASSPHRASE },
  });
});

describe('the real Automation API adapter (scripted stand-in for the Pulumi CLI)', () => {
  it('pins the CLI to the SDK’s own version, and uses an installed CLI of that version as it is', async () => {
    const sdk = JSON.parse(await readFile(new URL('../node_modules/@pulumi/pulumi/package.json', import.meta.url), 'utf8')) as { version: string };
    expect(PULUMI_CLI_VERSION).toBe(sdk.version);
    const pinnedRoot = await mkdtemp(join(tmpdir(), 'hearth-fakecli-'));
    await mkdir(join(pinnedRoot, 'bin'));
    await writeFile(join(pinnedRoot, 'bin', 'pulumi'), FAKE_CLI);
    await chmod(join(pinnedRoot, 'bin', 'pulumi'), 0o755);
    await writeFile(join(pinnedRoot, 'version'), PULUMI_CLI_VERSION);
    const progress: string[] = [];
    const cli = await realAutomation().ensureCli({ root: pinnedRoot, version: PULUMI_CLI_VERSION, signal: new AbortController().signal, onProgress: (_f, m) => progress.push(m) });
    expect(cli.command).toBe(join(pinnedRoot, 'bin', 'pulumi'));
    expect(progress).toEqual([]);
  });

  it('downloads the pinned CLI archive with progress and unpacks it into <root>/bin (archive served locally)', async () => {
    // A release-shaped archive: pulumi/<binaries>, here one script answering `version`.
    const staging = await mkdtemp(join(tmpdir(), 'hearth-archive-'));
    await mkdir(join(staging, 'pulumi'));
    await writeFile(join(staging, 'pulumi', 'pulumi'), `#!/bin/sh\necho ${PULUMI_CLI_VERSION}\n`, { mode: 0o755 });
    await writeFile(join(staging, 'pulumi', 'pulumi-language-nodejs'), randomBytes(3_000_000));
    execFileSync('tar', ['-czf', join(staging, 'cli.tar.gz'), '-C', staging, 'pulumi']);
    const archive = await readFile(join(staging, 'cli.tar.gz'));
    const asked: string[] = [];
    const server = createServer((req, res) => {
      asked.push(req.url ?? '');
      res.writeHead(200, { 'content-type': 'application/gzip', 'content-length': String(archive.length) });
      // In pieces, as a real download arrives.
      let offset = 0;
      const next = () => {
        if (offset >= archive.length) return res.end();
        res.write(archive.subarray(offset, (offset += 16_384)), next);
      };
      next();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const local = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const target = await mkdtemp(join(tmpdir(), 'hearth-cliroot-'));
      const progress: [number, string][] = [];
      const cli = await realAutomation({ fetch: (url, init) => fetch(String(url).replace(CLI_RELEASES, local), init) }).ensureCli({
        root: target,
        version: PULUMI_CLI_VERSION,
        signal: new AbortController().signal,
        onProgress: (f, m) => progress.push([f, m]),
      });
      expect(asked).toEqual([`/pulumi-v${PULUMI_CLI_VERSION}-linux-x64.tar.gz`]);
      expect(cli.command).toBe(join(target, 'bin', 'pulumi'));
      expect(progress[0]).toEqual([0, 'Downloading the Pulumi engine']);
      expect(progress.filter(([, m]) => m.startsWith('Downloading the Pulumi engine (')).length).toBeGreaterThan(3);
      expect(progress.map(([f]) => f)).toEqual([...progress.map(([f]) => f)].sort((a, b) => a - b));
      expect(progress.at(-1)).toEqual([1, 'Unpacking the Pulumi engine']);
      expect((await readdir(join(target, 'bin'))).sort()).toEqual(['pulumi', 'pulumi-language-nodejs']);
      // Nothing left over from the download.
      expect((await readdir(target)).sort()).toEqual(['bin']);
    } finally {
      server.close();
    }
  });

  it('treats a CLI of another version as missing: it downloads the pinned one (offline here: a clear error)', async () => {
    const err = await realAutomation({ downloadTimeoutMs: 5_000 })
      .ensureCli({ root, version: PULUMI_CLI_VERSION, signal: new AbortController().signal, onProgress: () => undefined })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'NETWORK' });
  });

  it('creates the stack with the passphrase secrets provider, the file backend and PULUMI_HOME inside the data folder', async () => {
    const all = await calls();
    const init = all.find((c) => c.argv?.[0] === 'stack' && c.argv[1] === 'init')!;
    expect(init.argv).toEqual(expect.arrayContaining(['srv-a', '--secrets-provider', 'passphrase']));
    expect(init.passphrase).toBe(PASSPHRASE.length);
    expect(init.home).toBe(join(dataDir, 'home'));
    expect(init.backend).toBe(`file://${join(dataDir, 'state')}`);
    expect(init.cwd).toBe(join(dataDir, 'work'));
    // The project file the SDK wrote names the same backend; the passphrase is in no file.
    const project = await readFile(join(dataDir, 'work', 'Pulumi.yaml'), 'utf8');
    expect(project).toContain(`url: file://${join(dataDir, 'state')}`);
    expect(project).not.toContain(PASSPHRASE);
  });

  it('installs the DigitalOcean plugin at the pinned version', async () => {
    await stack.installPlugin('digitalocean', 'v4.80.1');
    expect((await calls()).some((c) => c.argv?.join(' ').startsWith('plugin install resource digitalocean v4.80.1'))).toBe(true);
  });

  it('hands a secret to the CLI on stdin, never on the command line', async () => {
    await stack.setConfig('digitalocean:token', TOKEN, true);
    const set = (await calls()).filter((c) => c.argv?.[0] === 'config');
    expect(set).toHaveLength(1);
    expect(set[0]!.argv!.slice(0, 4)).toEqual(['config', 'set', 'digitalocean:token', '--secret']);
    expect(set[0]!.argv!.join(' ')).not.toContain(TOKEN);
    expect(set[0]!.stdin).toBe(TOKEN);
    expect(set[0]!.passphrase).toBe(PASSPHRASE.length);
    // And nowhere in an argv of any call.
    expect((await calls()).some((c) => c.argv?.join(' ').includes(TOKEN) || c.argv?.join(' ').includes(PASSPHRASE))).toBe(false);
  });

  it('previews with engine events delivered through the SDK’s --event-log reader', async () => {
    const events: EngineEvent[] = [];
    const result = await stack.preview({ onEvent: (e) => events.push(e), signal: new AbortController().signal });
    expect(result.changeSummary).toEqual({ create: 1 });
    expect(events.map((e) => Object.keys(e).find((k) => k.endsWith('Event')))).toEqual(['preludeEvent', 'resourcePreEvent', 'resOutputsEvent', 'summaryEvent', 'cancelEvent']);
  });

  it('reads pending operations from the exported state', async () => {
    expect(await stack.pendingOperations()).toEqual([
      { type: 'creating', urn: 'urn:pulumi:srv-a::hearth::digitalocean:index/droplet:Droplet::a-droplet', resourceType: 'digitalocean:index/droplet:Droplet' },
    ]);
  });

  it('delivers a cancel to the CLI as SIGINT, so the engine stops cleanly', async () => {
    const controller = new AbortController();
    const events: EngineEvent[] = [];
    const up = stack.up({ onEvent: (e) => events.push(e), signal: controller.signal });
    await expect.poll(() => events.some((e) => e.resourcePreEvent), { timeout: 10_000 }).toBe(true);
    controller.abort();
    await expect(up).rejects.toThrow(/canceled/);
    expect((await calls()).some((c) => c.signal === 'SIGINT')).toBe(true);
    await expect.poll(() => events.some((e) => e.cancelEvent), { timeout: 5_000 }).toBe(true);
  });
});
