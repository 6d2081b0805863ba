/**
 * A child's output, redacted line by line, in a log file that never grows past a bound: when it
 * reaches maxBytes it becomes "<name>.1" (replacing the previous one) and a new file starts.
 */
import { appendFile, mkdir, rename, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Readable } from 'node:stream';
import type { Redactor } from '../log/redact.ts';

export const LOG_MAX_BYTES = 2 * 1024 * 1024;
/** A line longer than this is written in pieces (redaction then works per piece). */
const MAX_LINE = 64 * 1024;

export class RotatingLogFile {
  readonly path: string;
  readonly #redactor: Redactor;
  readonly #maxBytes: number;
  #size: number | null = null;
  #pending = '';
  #flushing: Promise<void> | null = null;

  constructor(path: string, redactor: Redactor, maxBytes = LOG_MAX_BYTES) {
    this.path = path;
    this.#redactor = redactor;
    this.#maxBytes = maxBytes;
  }

  /** Appends whole lines (the caller splits); returns when they are written. */
  writeLine(line: string): Promise<void> {
    this.#pending += `${this.#redactor.redact(line)}\n`;
    return this.flush();
  }

  /** Copies a stream's text into the log, one redacted line at a time. */
  follow(stream: Readable, prefix = ''): void {
    let partial = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      while (partial.length > MAX_LINE) {
        lines.push(partial.slice(0, MAX_LINE));
        partial = partial.slice(MAX_LINE);
      }
      for (const line of lines) void this.writeLine(prefix + line);
    });
    stream.on('end', () => {
      if (partial) void this.writeLine(prefix + partial);
      partial = '';
    });
  }

  flush(): Promise<void> {
    this.#flushing ??= this.#drain().finally(() => {
      this.#flushing = null;
    });
    return this.#flushing;
  }

  async #drain(): Promise<void> {
    // Writes are batched: whatever piled up while the previous write ran goes out in one append.
    while (this.#pending) {
      const text = this.#pending;
      this.#pending = '';
      try {
        await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
        this.#size ??= await stat(this.path).then(
          (s) => s.size,
          () => 0,
        );
        if (this.#size > 0 && this.#size + Buffer.byteLength(text) > this.#maxBytes) {
          await rename(this.path, `${this.path}.1`);
          this.#size = 0;
        }
        await appendFile(this.path, text, { mode: 0o600 });
        this.#size += Buffer.byteLength(text);
      } catch {
        // A log that cannot be written must not take the sandbox (or the panel) down.
        this.#size = null;
      }
    }
  }
}
