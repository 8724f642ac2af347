/**
 * The whole compliance suite again with every operation in a transaction of
 * its own (in-transaction.ts), over the embedded stores, whose transactions
 * are buffered above write(): memory, sqlite, lmdb, rocksdb (postgres, with
 * native transactions: in-transaction-postgres.test.ts, run beside this file).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { IN_TRANSACTION_SIZES } from './in-transaction.js';
import { describeCompliance } from './suite.js';

const root = mkdtempSync(join(tmpdir(), 'govc-in-transaction-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const sizes = IN_TRANSACTION_SIZES;

describeCompliance('memory, each op in a transaction', { ...sizes, freshConfig: async () => 'memory://' });
describeCompliance('sqlite, each op in a transaction', { ...sizes, freshConfig: async () => `sqlite://${join(root, `s${++n}.db`)}` });
describeCompliance('lmdb, each op in a transaction', { ...sizes, freshConfig: async () => `lmdb://${join(root, `l${++n}`)}` });
describeCompliance('rocksdb, each op in a transaction', { ...sizes, freshConfig: async () => `rocksdb://${join(root, `r${++n}`)}` });
