/**
 * The compliance suite inside transactions (as abstract-level re-runs its
 * suite through a sublevel): a DataStore over a driver whose every read and
 * every write runs in a transaction of its own (begin, the op, commit; a
 * failed op rolls back), so that a transaction behaves as the store does.
 */
import { defaultRegistry, DataStore, type DriverReader, type DriverTransaction, type StoreConfig, type StoreDriver, type WriteOp } from '../../src/datastore/index.js';
import { beginDriverTransaction } from '../../src/datastore/store.js';

const READS = new Set<string>([
  'getEntries', 'hasObjects', 'statObject', 'listObjectIds', 'listDependents', 'getRef', 'listRefs', 'getRepository', 'getRepositoryByName',
  'listRepositories', 'getUser', 'getUserByUsername', 'getUserByEmail', 'listUsers', 'queryEvents', 'countEvents', 'getConfig', 'listConfig',
] satisfies Array<keyof DriverReader>);

async function inTransaction<T>(driver: StoreDriver, readOnly: boolean, op: (tx: DriverTransaction) => Promise<T>): Promise<T> {
  const tx = await beginDriverTransaction(driver, { isolation: driver.capabilities.isolationLevels[0], readOnly });
  let result: T;
  try {
    result = await op(tx);
  } catch (err) {
    await tx.rollback().catch(() => undefined);
    throw err;
  }
  await tx.commit();
  return result;
}

/** `inner` with every DriverReader method and write() each run in a transaction; everything else (open, begin, stats, subscribe) as it is. */
export function eachOpInTransaction(inner: StoreDriver): StoreDriver {
  if (!inner.capabilities.transactions) throw new Error(`${inner.type} store has no transactions to run the suite in`);
  return new Proxy(inner, {
    get(target, prop) {
      if (prop === 'write') return (ops: WriteOp[]) => inTransaction(target, false, (tx) => tx.write(ops));
      if (typeof prop === 'string' && READS.has(prop)) {
        return (...args: unknown[]) => inTransaction(target, true, (tx) => (tx[prop as keyof DriverReader] as (...a: unknown[]) => Promise<unknown>)(...args));
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** Opens the store `config` names with each of its operations in a transaction. */
export async function openInTransaction(config: string | StoreConfig): Promise<DataStore> {
  const plain = await defaultRegistry.build(config);
  return new DataStore(eachOpInTransaction(plain.driver), { objectFormat: plain.objectFormat }).open();
}

/**
 * Sizes for the runs in transactions: smaller than the plain runs, which cover
 * full size; what is tested here is that transactions pass each operation
 * through unchanged, not how much a store holds.
 */
export const IN_TRANSACTION_SIZES = { manyObjects: 5_000, largeObjectBytes: 4 * 1024 ** 2, inTransaction: true };
