import { appendFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as plc from '@did-plc/lib';
import { Database } from '@did-plc/server';
import { Secp256k1Keypair } from '@atproto/crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OperationJournal, journalWrites, replayInto } from './plc-journal.ts';

type Signer = Parameters<typeof plc.createOp>[0]['signer'];

describe('PLC operation journal', () => {
  let dir: string;
  let file: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hearth-plc-journal-'));
    file = join(dir, 'plc', 'operations.jsonl');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function keys() {
    const make = async () => (await Secp256k1Keypair.create()) as unknown as Signer;
    return { signing: await make(), recovery: await make(), other: await make() };
  }

  /** A fresh mock PLC wired to the journal, with the journal's past replayed into it. */
  async function openPlc() {
    const { journal, entries, dropped } = await OperationJournal.open(file);
    const db = Database.mock();
    replayInto(db, entries);
    journalWrites(db, journal);
    return { db, journal, dropped };
  }

  it('replays accepted operations, including a recovery that nullified one, with their original times', async () => {
    const k = await keys();
    const first = await openPlc();
    const { op: create, did } = await plc.createOp({
      signingKey: k.signing.did(),
      handle: 'alice.test',
      pds: 'http://localhost:1234',
      rotationKeys: [k.recovery.did(), k.other.did()],
      signer: k.recovery,
    });
    await first.db.validateAndAddOp(did, create);
    // The weaker rotation key changes the handle; the stronger one then overrides it (recovery).
    const hijack = await plc.updateHandleOp(create, k.other, 'mallory.test');
    await first.db.validateAndAddOp(did, hijack);
    const recovery = await plc.updateHandleOp(create, k.recovery, 'alice-again.test');
    await first.db.validateAndAddOp(did, recovery);
    const before = await first.db.indexedOpsForDid(did, true);
    await first.journal.close();

    const second = await openPlc();
    expect(second.dropped).toBe(0);
    const after = await second.db.indexedOpsForDid(did, true);
    expect(after.map((op) => [op.cid.toString(), op.nullified, op.createdAt.toISOString()])).toEqual(
      before.map((op) => [op.cid.toString(), op.nullified, op.createdAt.toISOString()]),
    );
    expect(after.map((op) => op.nullified)).toEqual([false, true, false]);
    const data = await plc.validateOperationLog(did, await second.db.opsForDid(did));
    expect(data?.alsoKnownAs).toEqual(['at://alice-again.test']);

    // The chain continues from replayed state: the next operation's prev matches a replayed CID.
    const last = await second.db.lastOpForDid(did);
    const next = await plc.updateHandleOp(last as Parameters<typeof plc.updateHandleOp>[0], k.recovery, 'alice3.test');
    await second.db.validateAndAddOp(did, next);
    await second.journal.close();
    expect((await readFile(file, 'utf8')).trim().split('\n')).toHaveLength(4);
  });

  it('does not journal a rejected operation', async () => {
    const k = await keys();
    const { db, journal } = await openPlc();
    const { op: create, did } = await plc.createOp({
      signingKey: k.signing.did(),
      handle: 'bob.test',
      pds: 'http://localhost:1234',
      rotationKeys: [k.recovery.did()],
      signer: k.recovery,
    });
    await db.validateAndAddOp(did, create);
    const forged = await plc.updateHandleOp(create, k.other, 'forged.test');
    await expect(db.validateAndAddOp(did, forged)).rejects.toThrow();
    await journal.close();
    expect((await readFile(file, 'utf8')).trim().split('\n')).toHaveLength(1);
  });

  it('cuts off a torn last line so later appends stay readable', async () => {
    const k = await keys();
    const first = await openPlc();
    const { op: create, did } = await plc.createOp({
      signingKey: k.signing.did(),
      handle: 'carol.test',
      pds: 'http://localhost:1234',
      rotationKeys: [k.recovery.did()],
      signer: k.recovery,
    });
    await first.db.validateAndAddOp(did, create);
    await first.journal.close();
    await appendFile(file, '{"did":"did:plc:half-writ');

    const second = await openPlc();
    expect(second.dropped).toBe(1);
    expect(await second.db.opsForDid(did)).toHaveLength(1);
    await second.db.validateAndAddOp(did, await plc.updateHandleOp(create, k.recovery, 'carol2.test'));
    await second.journal.close();

    const third = await openPlc();
    expect(third.dropped).toBe(0);
    expect(await third.db.opsForDid(did)).toHaveLength(2);
    await third.journal.close();
  });

  it('rolls the in-memory state back when the journal cannot be written', async () => {
    const k = await keys();
    const { db, journal } = await openPlc();
    await journal.close(); // every append now fails
    const { op: create, did } = await plc.createOp({
      signingKey: k.signing.did(),
      handle: 'dave.test',
      pds: 'http://localhost:1234',
      rotationKeys: [k.recovery.did()],
      signer: k.recovery,
    });
    await expect(db.validateAndAddOp(did, create)).rejects.toThrow();
    expect(await db.opsForDid(did)).toEqual([]);
  });
});
