/** What an embedded, single-process key-value store over KvDriver gives (rocksdb://, lsm://). */
import type { Capabilities } from '../../types.js';

export function singleProcessKvCapabilities(maxObjectSize: number): Capabilities {
  return {
    // DataStore gives a BufferedTransaction: reads see committed data plus the transaction's own writes.
    transactions: true,
    isolationLevels: ['read-committed'],
    persistent: true,
    // Each write is in the engine's WAL (an OS write; fsynced too with sync=true) before it is acknowledged.
    durable: true,
    // The engine locks its directory for one process.
    multiProcess: false,
    maxObjectSize,
    changeEvents: false,
    ttl: false,
  };
}
