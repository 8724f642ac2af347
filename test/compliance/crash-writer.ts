/**
 * Child process of the crash-recovery case: writes objects, moves a ref (with
 * an event in the same write) and logs events in a loop, printing
 * "ack <i> <id>" only after each write was acknowledged. The parent SIGKILLs it mid-stream. A second argument
 * `in-transaction` runs each operation in a transaction of its own.
 */
import { createStore, type StoreConfig } from '../../src/datastore/index.js';
import { openInTransaction } from './in-transaction.js';

const config = JSON.parse(process.argv[2]) as string | StoreConfig;
const store = process.argv[3] === 'in-transaction' ? await openInTransaction(config) : await createStore(config);
const repo = (await store.getRepositoryByName('crash')) ?? (await store.createRepository({ name: 'crash' }));
let previous: string | null = null;
for (let i = 0; ; i++) {
  const id = await store.putObject({ type: 'blob', data: Buffer.from(`crash write ${i}`) });
  await store.updateRefs(repo.id, [{ name: 'refs/heads/main', old: previous, new: id }], { event: { action: 'crash-ref', repositoryId: repo.id, details: { i } } });
  await store.logEvent({ action: 'crash-test', repositoryId: repo.id, details: { i } });
  previous = id;
  process.stdout.write(`ack ${i} ${id}\n`);
}
