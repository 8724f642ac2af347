/** The compliance suite with every operation in its own native PostgreSQL transaction (see in-transaction.test.ts). */
import { ensurePostgres, schemaFactory } from '../stores/fixtures/pg-support.js';
import { IN_TRANSACTION_SIZES } from './in-transaction.js';
import { describeCompliance } from './suite.js';

ensurePostgres();
const schemas = schemaFactory('postgres');
describeCompliance('postgres, each op in a transaction', { ...IN_TRANSACTION_SIZES, freshConfig: schemas.freshConfig, cleanup: schemas.cleanup });
