/**
 * The mongodb store on a real MongoDB-wire server, FerretDB 1.24 over
 * PostgreSQL (see test/support/ferretdb-servers.ts): the compliance suite on
 * the default connection pool (8). Scale figures are smaller than the
 * suite's defaults (5,000 objects, a 20 MiB object: still above a document's
 * 16 MiB, so through GridFS) to keep CI within budget on FerretDB, which
 * filters by scanning. Store-specific cases: mongodb-features.test.ts.
 */
import { after } from 'node:test';
import { describeCompliance } from '../compliance/suite.js';
import { startFerretDB } from '../../support/ferretdb-servers.js';

const server = await startFerretDB();
after(() => server.stop());

let counter = 0;
const freshUri = (extra = '') => `mongodb://127.0.0.1:${server.port}/t${process.pid}_${++counter}${extra}`;

describeCompliance('mongodb', { freshConfig: async () => freshUri(), manyObjects: 5_000, largeObjectBytes: 20 * 1024 * 1024 });
