/**
 * The mongodb store on a real MongoDB-wire server, FerretDB 1.24 over
 * PostgreSQL (see test/support/ferretdb-servers.ts): the compliance suite on
 * the default connection pool, then what is MongoDB-specific.
 */
import { after } from 'node:test';
import { describeCompliance } from '../compliance/suite.js';
import { startFerretDB } from '../support/ferretdb-servers.js';

const server = await startFerretDB();
after(() => server.stop());

let counter = 0;
export const freshUri = (extra = '') => `mongodb://127.0.0.1:${server.port}/t${process.pid}_${++counter}${extra}`;

describeCompliance('mongodb', { freshConfig: async () => freshUri(), manyObjects: 20_000, largeObjectBytes: 40 * 1024 * 1024 });
