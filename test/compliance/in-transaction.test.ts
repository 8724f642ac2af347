/**
 * The whole compliance suite again with every operation in a transaction of
 * its own (in-transaction.ts), over the embedded stores, whose transactions
 * are buffered above write(): memory, sqlite, lmdb, rocksdb (postgres, with
 * native transactions: in-transaction-postgres.test.ts, run beside this file).
 */
import { IN_TRANSACTION_SIZES } from './in-transaction.js';
import { scratchDir } from '../support/scratch.js';
import { describeCompliance } from './suite.js';

const scratch = scratchDir('govc-in-transaction-');
const sizes = IN_TRANSACTION_SIZES;

describeCompliance('memory, each op in a transaction', { ...sizes, freshConfig: async () => 'memory://' });
describeCompliance('sqlite, each op in a transaction', { ...sizes, freshConfig: async () => `sqlite://${scratch.fresh('sqlite')}` });
describeCompliance('lmdb, each op in a transaction', { ...sizes, freshConfig: async () => `lmdb://${scratch.fresh('lmdb')}` });
describeCompliance('rocksdb, each op in a transaction', { ...sizes, freshConfig: async () => `rocksdb://${scratch.fresh('rocksdb')}` });
