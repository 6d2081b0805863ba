/**
 * The sandbox's identity directory: a real @did-plc/server in its own process, with the in-memory
 * database made durable by the operation journal. Started by the panel (sandbox.ts), configured
 * over IPC.
 */
import { Database, PlcServer } from '@did-plc/server';
import { listenOnLoopbackOnly, runChild } from './child-runtime.ts';
import { OperationJournal, journalWrites, replayInto } from './plc-journal.ts';
import type { PlcChildConfig } from './protocol.ts';

runChild<PlcChildConfig>('plc', async (config) => {
  const { journal, entries, dropped } = await OperationJournal.open(config.operationsFile);
  if (dropped > 0) console.warn(`plc: skipped ${dropped} incomplete line(s) at the end of the operations journal`);
  const db = Database.mock();
  replayInto(db, entries);
  journalWrites(db, journal);
  console.log(`plc: replayed ${entries.length} operation(s) for ${Object.keys(db.contents).length} DID(s)`);

  const server = PlcServer.create({ db, port: config.port, version: 'hearth-sandbox' });
  const loopback = listenOnLoopbackOnly(server.app);
  try {
    await server.start();
    await loopback.ipv6;
  } catch (err) {
    loopback.closeExtra();
    await server.destroy().catch(() => undefined);
    throw err;
  }
  return {
    port: config.port,
    async close() {
      loopback.closeExtra();
      await server.destroy();
      await journal.close();
    },
  };
});
