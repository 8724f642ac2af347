/** The compliance suite through a cache layer: in-process over memory, and with a staleness bound over SQLite. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { describeCompliance } from '../compliance/suite.js';
import { LAYERED_SIZES } from './sizes.js';

const root = mkdtempSync(join(tmpdir(), 'govc-cache-compliance-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

describeCompliance('memory + memory cache (YAML)', {
  ...LAYERED_SIZES,
  freshConfig: async () => ({ type: 'memory', cache: { type: 'memory', options: { size: '8MB' } } }) as never,
});

describeCompliance('sqlite + memory cache (URI)', {
  ...LAYERED_SIZES,
  freshConfig: async () => `sqlite://${join(root, `db-${++n}.db`)}?cache.type=memory&cache.size=4MB&cache.ttl=1s`,
});
