/**
 * The mongodb store on a real MongoDB-wire server, FerretDB 1.24 over
 * PostgreSQL (see support/ferretdb-servers.ts): the whole compliance
 * suite on the default connection pool (8), on one FerretDB, each case in its
 * own database. In CI the heavy contention and crash cases run at half their
 * work (FerretDB serves a few hundred commits a second at best) and 2,000
 * small objects; the 32-way compare-and-swap race keeps its 32 racers and
 * every round, and the large object stays above a document's 16 MiB, so it
 * goes through GridFS. GOVC_MONGODB_FULL=1 runs everything at full size (20,000 objects).
 * Store-specific cases: mongodb-features.test.ts, mongodb-security.test.ts.
 */
import { after } from 'node:test';
import { describeCompliance } from '../compliance/suite.js';
import { startFerretDB } from '../../support/ferretdb-servers.js';

const FULL = process.env.GOVC_MONGODB_FULL === '1';
const server = await startFerretDB();
after(() => server.stop());

let counter = 0;
const freshUri = (extra = '') => `mongodb://127.0.0.1:${server.port}/t${process.pid}_${++counter}${extra}`;

describeCompliance('mongodb', {
  freshConfig: async () => freshUri(),
  manyObjects: FULL ? 20_000 : 2_000,
  largeObjectBytes: 20 * 1024 * 1024,
  loadScale: FULL ? 1 : 0.5,
});
