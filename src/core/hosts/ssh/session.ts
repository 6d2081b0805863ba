// ssh2 is CommonJS: Node's ESM loader exposes only its default export.
import type { Duplex } from 'node:stream';
import ssh2, { type Client, type ConnectConfig, type SFTPWrapper } from 'ssh2';
import { HearthError } from '../../../shared/errors.ts';
import { abortError, type JobContext } from '../../jobs/index.ts';
import { connectError, hostKeyMismatch, type SshEndpoint } from './errors.ts';
import { sshFingerprint } from './fingerprint.ts';

export interface SshSessionOptions extends SshEndpoint {
  /** OpenSSH or PEM private key. */
  privateKey?: string | Buffer;
  /** Used only for this session (installing Hearth's key); never stored. */
  password?: string;
  /** The pinned host key fingerprint ("SHA256:…"), or null to trust the first one seen. */
  hostKey: string | null;
  /** Called once when a first-use key is seen and accepted, to persist the pin. */
  onHostKeyPinned?: (fingerprint: string) => void | Promise<void>;
  keepaliveIntervalMs?: number;
  readyTimeoutMs?: number;
}

export interface ExecOptions {
  /** Output lines go to this job's log, and its cancel signal stops the command. */
  ctx?: JobContext;
  signal?: AbortSignal;
  stdin?: string | Buffer;
  /** Do not copy output to the job log (for commands whose output is data, not progress). */
  quiet?: boolean;
  /** Each whole line of output as it arrives (without its newline), while the command still runs. */
  onStdoutLine?: (line: string) => void;
  onStderrLine?: (line: string) => void;
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface TransferOptions {
  signal?: AbortSignal;
  /** File mode on the server, e.g. 0o600 for anything holding a secret. */
  mode?: number;
}

/** Output kept in memory per command; more is still streamed to the log. */
const MAX_CAPTURE = 16 * 1024 * 1024;
/** First stderr line of every command: its process group on the server, for cancel. */
const PGID_MARKER = '@hearth-pgid ';

/**
 * One SSH connection to one server, used for everything Hearth does there: commands with streamed
 * output, SFTP, keepalive. It connects lazily and reconnects on the next operation after a drop.
 * The host key is checked on every connection; once it does not match the pin, every operation
 * fails with HOST_KEY_MISMATCH until retrust() is called with the new fingerprint.
 */
export class SshSession {
  readonly #options: SshSessionOptions;
  #hostKey: string | null;
  #client: Client | null = null;
  #connecting: Promise<Client> | null = null;
  #sftp: Promise<SFTPWrapper> | null = null;
  #mismatch: HearthError | null = null;
  #seen: string | null = null;

  constructor(options: SshSessionOptions) {
    this.#options = options;
    this.#hostKey = options.hostKey;
  }

  get endpoint(): SshEndpoint {
    const { host, port, username } = this.#options;
    return { host, port, username };
  }

  /** The pinned fingerprint (after the first connection, the one seen then). */
  get hostKeyFingerprint(): string | null {
    return this.#hostKey;
  }

  /** The fingerprint the server presented on the last connection attempt. */
  get presentedFingerprint(): string | null {
    return this.#seen;
  }

  /**
   * The user chose to trust a changed host key. Takes the fingerprint they were shown, so a key
   * that changed again in between is still refused.
   */
  retrust(fingerprint: string): void {
    this.#hostKey = fingerprint;
    this.#mismatch = null;
  }

  async connect(signal?: AbortSignal): Promise<void> {
    await this.#open(signal);
  }

  /** Runs a command; resolves with its exit code and output (a non-zero exit is not an error here). */
  async exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    const signal = options.signal ?? options.ctx?.signal;
    if (signal?.aborted) throw abortError();
    const client = await this.#open(signal);
    const log = options.quiet ? undefined : options.ctx;
    return new Promise<ExecResult>((resolve, reject) => {
      // sshd starts each command as a session leader, so its pid is the process group of
      // everything it starts: the first stderr line reports it, and a cancel kills that group
      // (SSH "signal" requests are not honoured by every sshd).
      client.exec(`echo "${PGID_MARKER}$$" >&2; ${command}`, (err, stream) => {
        if (err) return reject(this.#dropped(err));
        let stdout = '';
        let stderr = '';
        let pgid: number | null = null;
        let exitCode: number | null | undefined;
        let exitSignal: string | undefined;
        let settled = false;
        const finish = (fn: () => void) => {
          if (settled) return;
          settled = true;
          signal?.removeEventListener('abort', onAbort);
          fn();
        };
        const lines = (sink: (s: string) => void, level: 'info' | 'warn', onLine?: (line: string) => void) => {
          let partial = '';
          const push = (text: string) => {
            sink(text);
            if (!log && !onLine) return;
            const parts = (partial + text).split('\n');
            partial = parts.pop() ?? '';
            for (const raw of parts) {
              onLine?.(raw);
              // Progress output redraws with \r: the log keeps what the line said last.
              const line = raw.split('\r').filter((p) => p.trim()).pop() ?? '';
              if (log && line.trim()) log.log(line, level);
            }
          };
          // The last line when the output does not end with a newline.
          push.end = () => {
            if (partial) onLine?.(partial);
            partial = '';
          };
          return push;
        };
        const onStdout = lines((s) => stdout.length < MAX_CAPTURE && (stdout += s), 'info', options.onStdoutLine);
        const onStderr = lines((s) => stderr.length < MAX_CAPTURE && (stderr += s), 'warn', options.onStderrLine);
        let head = '';
        stream.on('data', (chunk: Buffer) => onStdout(chunk.toString('utf8')));
        stream.stderr.on('data', (chunk: Buffer) => {
          let text = chunk.toString('utf8');
          if (pgid === null) {
            head += text;
            const newline = head.indexOf('\n');
            if (newline === -1) return;
            const marker = head.slice(0, newline);
            pgid = marker.startsWith(PGID_MARKER) ? Number(marker.slice(PGID_MARKER.length)) || 0 : 0;
            text = pgid ? head.slice(newline + 1) : head;
            if (!text) return;
          }
          onStderr(text);
        });
        stream.on('exit', (code: number | null, signalName?: string) => {
          exitCode = code;
          exitSignal = signalName;
        });
        const onAbort = () => {
          finish(() => reject(abortError()));
          const group = pgid;
          if (group) {
            // A separate channel, so the kill reaches the server even while this one is busy.
            client.exec(`kill -TERM -- -${group} 2>/dev/null; sleep 2; kill -KILL -- -${group} 2>/dev/null; true`, (e, killer) => {
              if (!e) killer.resume().on('close', () => {});
            });
          }
          stream.close();
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        stream.on('close', () => {
          finish(() => {
            onStdout.end();
            onStderr.end();
            if (exitCode === undefined) return reject(this.#dropped(new Error('the channel closed without an exit status')));
            resolve({ code: exitCode ?? (exitSignal ? 128 : -1), stdout, stderr });
          });
        });
        if (options.stdin !== undefined) stream.end(options.stdin);
        else stream.end();
      });
    });
  }

  /** Like exec, but a non-zero exit is an error naming the step and the last lines it printed. */
  async run(command: string, options: ExecOptions & { what?: string } = {}): Promise<ExecResult> {
    const result = await this.exec(command, options);
    if (result.code !== 0) {
      const tail = (result.stderr.trim() || result.stdout.trim()).split('\n').slice(-3).join(' / ');
      throw new HearthError(
        'INTERNAL',
        `${options.what ?? 'A command on the server'} failed (exit ${result.code})${tail ? `: ${tail}` : ''}.`,
        'See the job log for the full output; fix the cause and run it again.',
      );
    }
    return result;
  }

  /** Uploads a local file (parallel SFTP writes). */
  async putFile(localPath: string, remotePath: string, options: TransferOptions = {}): Promise<void> {
    const sftp = await this.#sftpChannel(options.signal);
    await this.#abortable(options.signal, (done) =>
      sftp.fastPut(localPath, remotePath, options.mode === undefined ? {} : { mode: options.mode }, done),
    );
  }

  /** Downloads a remote file (parallel SFTP reads). */
  async getFile(remotePath: string, localPath: string, options: TransferOptions = {}): Promise<void> {
    const sftp = await this.#sftpChannel(options.signal);
    await this.#abortable(options.signal, (done) => sftp.fastGet(remotePath, localPath, done));
  }

  /**
   * Writes a whole file atomically: into a temporary file created with the final mode (so a
   * secret is never readable by others, not even briefly), then renamed over the target.
   */
  async writeFile(remotePath: string, data: string | Buffer, options: TransferOptions = {}): Promise<void> {
    const sftp = await this.#sftpChannel(options.signal);
    const mode = options.mode ?? 0o644;
    const temp = `${remotePath}.hearth-tmp`;
    await new Promise<void>((resolve) => sftp.unlink(temp, () => resolve()));
    await this.#abortable(options.signal, (done) => sftp.writeFile(temp, data, { mode }, done));
    await this.#abortable(options.signal, (done) => sftp.chmod(temp, mode, done));
    await this.#abortable(options.signal, (done) => sftp.ext_openssh_rename(temp, remotePath, done));
  }

  /**
   * A TCP connection from the server to host:port on its side (SSH direct-tcpip), e.g. its PDS on
   * 127.0.0.1:3000: a way to reach a service before DNS or TLS point at this server.
   */
  async forward(host: string, port: number, signal?: AbortSignal): Promise<Duplex> {
    const client = await this.#open(signal);
    const stream = await new Promise<Duplex>((resolve, reject) =>
      client.forwardOut('127.0.0.1', 0, host, port, (err, channel) => (err ? reject(this.#dropped(err)) : resolve(channel))),
    );
    // node:http treats its connection as a socket; an SSH channel has no socket options to set.
    const socketish = stream as Duplex & Partial<Record<'setKeepAlive' | 'setNoDelay' | 'setTimeout' | 'ref' | 'unref', () => unknown>>;
    for (const name of ['setKeepAlive', 'setNoDelay', 'setTimeout', 'ref', 'unref'] as const) socketish[name] ??= () => socketish;
    return stream;
  }

  /** Reads a whole remote file; null when it does not exist. */
  async readFile(remotePath: string, options: TransferOptions = {}): Promise<Buffer | null> {
    const sftp = await this.#sftpChannel(options.signal);
    try {
      return await this.#abortable<Buffer>(options.signal, (done) => sftp.readFile(remotePath, done));
    } catch (err) {
      if ((err as { code?: unknown }).code === 2) return null; // SSH_FX_NO_SUCH_FILE
      throw err;
    }
  }

  /** Closes the connection; a later operation opens a new one. */
  close(): void {
    const client = this.#client;
    this.#client = null;
    this.#sftp = null;
    client?.end();
  }

  async #sftpChannel(signal?: AbortSignal): Promise<SFTPWrapper> {
    if (signal?.aborted) throw abortError();
    const client = await this.#open(signal);
    if (!this.#sftp) {
      const opening = new Promise<SFTPWrapper>((resolve, reject) =>
        client.sftp((err, sftp) => (err ? reject(this.#dropped(err)) : resolve(sftp))),
      );
      this.#sftp = opening;
      opening.catch(() => {
        if (this.#sftp === opening) this.#sftp = null;
      });
    }
    return this.#sftp;
  }

  /** Runs one SFTP request; cancelling cuts the connection, the only way to stop a transfer. */
  #abortable<T = void>(signal: AbortSignal | undefined, start: (done: (err: Error | null | undefined, value?: T) => void) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (signal?.aborted) return reject(abortError());
      const onAbort = () => {
        this.close();
        reject(abortError());
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      start((err, value) => {
        signal?.removeEventListener('abort', onAbort);
        if (signal?.aborted) return;
        if (err) {
          const code = (err as { code?: unknown }).code;
          if (typeof code === 'number') return reject(Object.assign(new HearthError('INTERNAL', `The server refused a file operation: ${err.message}.`, 'Check the path and free disk space on the server.'), { code }));
          return reject(this.#dropped(err));
        }
        resolve(value as T);
      });
    });
  }

  #dropped(err: unknown): HearthError {
    if (err instanceof HearthError) return err;
    const { host, port } = this.#options;
    const detail = err instanceof Error ? err.message : String(err);
    return new HearthError('NETWORK', `The connection to ${host}:${port} dropped (${detail}).`, 'Run the operation again: Hearth reconnects, and every step can be repeated safely.');
  }

  #open(signal?: AbortSignal): Promise<Client> {
    if (this.#mismatch) return Promise.reject(this.#mismatch);
    if (this.#client) return Promise.resolve(this.#client);
    this.#connecting ??= this.#connect(signal).finally(() => {
      this.#connecting = null;
    });
    return this.#connecting;
  }

  #connect(signal?: AbortSignal): Promise<Client> {
    const options = this.#options;
    const endpoint = this.endpoint;
    return new Promise<Client>((resolve, reject) => {
      if (signal?.aborted) return reject(abortError());
      const client = new ssh2.Client();
      const expected = this.#hostKey;
      let denied: HearthError | null = null;
      let settled = false;
      const settle = (fn: () => void) => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        fn();
      };
      const onAbort = () => {
        client.end();
        settle(() => reject(abortError()));
      };
      signal?.addEventListener('abort', onAbort, { once: true });

      const config: ConnectConfig = {
        host: options.host,
        port: options.port,
        username: options.username,
        readyTimeout: options.readyTimeoutMs ?? 15_000,
        keepaliveInterval: options.keepaliveIntervalMs ?? 15_000,
        keepaliveCountMax: 3,
        tryKeyboard: false,
        hostVerifier: (key: Buffer): boolean => {
          const seen = sshFingerprint(key);
          this.#seen = seen;
          if (expected && seen !== expected) {
            denied = hostKeyMismatch(endpoint, expected, seen);
            return false;
          }
          return true;
        },
        ...(options.privateKey !== undefined && { privateKey: options.privateKey }),
        ...(options.password !== undefined && { password: options.password }),
      };

      client.on('ready', () => {
        const seen = this.#seen;
        const pin = !expected && seen ? Promise.resolve(options.onHostKeyPinned?.(seen)).then(() => (this.#hostKey = seen)) : Promise.resolve();
        pin.then(
          () =>
            settle(() => {
              this.#client = client;
              resolve(client);
            }),
          (err: unknown) => {
            client.end();
            settle(() => reject(err));
          },
        );
      });
      // Errors after "ready" (a reset, a keepalive timeout) surface as a close; the next
      // operation reconnects.
      client.on('error', (err) => {
        if (denied) this.#mismatch = denied;
        settle(() => reject(denied ?? connectError(err, endpoint)));
      });
      client.on('close', () => {
        if (this.#client === client) {
          this.#client = null;
          this.#sftp = null;
        }
        settle(() => reject(denied ?? connectError(new Error('the connection closed during the handshake'), endpoint)));
      });
      client.connect(config);
    });
  }
}
