/** The SQLite store through the shared compliance suite (SQLite-specific tests: sqlite-store.test.ts). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { describeCompliance } from '../compliance/suite.js';

const root = mkdtempSync(join(tmpdir(), 'govc-sqlite-compliance-'));
let counter = 0;

after(() => rmSync(root, { recursive: true, force: true }));

describeCompliance('sqlite', {
  // A new file in a directory that does not exist yet: the store creates it.
  async freshConfig() {
    return `sqlite://${join(root, `db-${++counter}`, 'nested', 'govc.db')}`;
  },
});
