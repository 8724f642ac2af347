/** The SQLite store through the shared compliance suite (SQLite-specific tests: sqlite-store.test.ts). */
import { join } from 'node:path';
import { describeCompliance } from '../compliance/suite.js';
import { scratchDir } from '../support/scratch.js';

const scratch = scratchDir('govc-sqlite-compliance-');

describeCompliance('sqlite', {
  // A new file in a directory that does not exist yet: the store creates it.
  async freshConfig() {
    return `sqlite://${join(scratch.fresh(), 'nested', 'govc.db')}`;
  },
});
