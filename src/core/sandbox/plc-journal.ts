/**
 * Makes the in-memory PLC of @did-plc/server durable: every operation it accepts is appended to a
 * JSON-lines journal and fsynced before the PLC answers, and the journal is replayed into a fresh
 * MockDatabase at start. Without this, every sandbox DID would vanish at the first restart.
 *
 * Loaded only by the PLC child (and its tests), never by the panel.
 */
import { createRequire } from 'node:module';
import { mkdir, open, readFile, truncate } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { FileHandle } from 'node:fs/promises';
import type { MockDatabase } from '@did-plc/server';

type IndexedOperation = MockDatabase['contents'][string][number];
type Cid = IndexedOperation['cid'];

/** One accepted operation, as stored: enough to rebuild the mock's state without re-validating. */
export interface JournalEntry {
  did: string;
  operation: IndexedOperation['operation'];
  cid: string;
  createdAt: string;
  /** CIDs of earlier operations of this DID that this one nullified (a recovery). */
  nullified: string[];
}

// The mock compares CIDs with the multiformats 9 class @did-plc/server itself depends on; parse
// with that same class so replayed entries behave exactly like live ones.
const requireFromPlc = createRequire(createRequire(import.meta.url).resolve('@did-plc/server'));
const { CID } = requireFromPlc('multiformats/cid') as { CID: { parse(text: string): Cid } };

export class OperationJournal {
  readonly #handle: FileHandle;
  #chain: Promise<unknown> = Promise.resolve();

  private constructor(handle: FileHandle) {
    this.#handle = handle;
  }

  /**
   * Reads the journal (creating it if needed). A torn last line — the process died while
   * appending, so that operation was never acknowledged — is cut off so later appends stay valid.
   */
  static async open(path: string): Promise<{ journal: OperationJournal; entries: JournalEntry[]; dropped: number }> {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    let text = '';
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    let dropped = 0;
    const complete = text.endsWith('\n') || text === '' ? text : text.slice(0, text.lastIndexOf('\n') + 1);
    if (complete.length !== text.length) {
      dropped = 1;
      await truncate(path, Buffer.byteLength(complete));
    }
    const entries: JournalEntry[] = [];
    for (const line of complete.split('\n')) {
      if (!line.trim()) continue;
      try {
        entries.push(JSON.parse(line) as JournalEntry);
      } catch {
        dropped += 1;
      }
    }
    const handle = await open(path, 'a', 0o600);
    return { journal: new OperationJournal(handle), entries, dropped };
  }

  /** Appends one entry and waits until it is on disk. */
  append(entry: JournalEntry): Promise<void> {
    const next = this.#chain.then(async () => {
      await this.#handle.write(`${JSON.stringify(entry)}\n`);
      await this.#handle.datasync();
    });
    this.#chain = next.catch(() => undefined);
    return next;
  }

  async close(): Promise<void> {
    await this.#chain;
    await this.#handle.close();
  }
}

/** Rebuilds the mock's state from journal entries, keeping each operation's original time. */
export function replayInto(db: MockDatabase, entries: JournalEntry[]): void {
  for (const entry of entries) {
    const ops = (db.contents[entry.did] ??= []);
    ops.push({
      did: entry.did,
      operation: entry.operation,
      cid: CID.parse(entry.cid),
      nullified: false,
      createdAt: new Date(entry.createdAt),
    });
    if (entry.nullified.length > 0) {
      const gone = new Set(entry.nullified);
      for (const op of ops) if (gone.has(op.cid.toString())) op.nullified = true;
    }
  }
}

/**
 * Wraps the mock's only write path so an operation is acknowledged only once it is journalled.
 * Writes are serialized (the mock itself checks "prev" by array identity, and the PLC's load is a
 * handful of operations), and a failed journal write rolls the in-memory state back.
 */
export function journalWrites(db: MockDatabase, journal: OperationJournal): void {
  const validateAndAddOp = db.validateAndAddOp.bind(db);
  let chain: Promise<unknown> = Promise.resolve();
  db.validateAndAddOp = (did, proposed) => {
    const next = chain.then(async () => {
      const existed = Object.hasOwn(db.contents, did);
      const before = [...(db.contents[did] ?? [])];
      const flagsBefore = before.map((op) => op.nullified);
      await validateAndAddOp(did, proposed);
      const ops = db.contents[did] ?? [];
      const added = ops.at(-1);
      if (!added || ops.length !== before.length + 1) return;
      const nullified = before.filter((op, i) => op.nullified && !flagsBefore[i]).map((op) => op.cid.toString());
      try {
        await journal.append({
          did,
          operation: added.operation,
          cid: added.cid.toString(),
          createdAt: added.createdAt.toISOString(),
          nullified,
        });
      } catch (err) {
        before.forEach((op, i) => (op.nullified = flagsBefore[i] ?? false));
        if (existed) db.contents[did] = before;
        else delete db.contents[did];
        throw err;
      }
    });
    chain = next.catch(() => undefined);
    return next;
  };
}
