/** Runs the compliance suite against one mutant (named by $MUTANT); spawned by mutants.test.ts. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultRegistry } from '../../../src/datastore/index.js';
import { createDriver } from '../../../src/datastore/stores/memory/index.js';
import type { MemoryDriver } from '../../../src/datastore/stores/memory/memory-driver.js';
import { describeCompliance } from '../suite.js';
import { MUTANTS } from './mutants.js';

const name = process.env.MUTANT ?? '';
const mutant = MUTANTS[name];
if (!mutant) throw new Error(`unknown mutant ${name}`);
mutant.global?.();
defaultRegistry.register('mutant', {
  description: 'a deliberately broken memory store',
  network: false,
  create: (config, options) => {
    const driver = createDriver(config, options) as MemoryDriver;
    mutant.patch?.(driver);
    return driver;
  },
});
const dir = mkdtempSync(join(tmpdir(), 'govc-mutant-'));
let n = 0;
describeCompliance(`mutant ${name}`, {
  freshConfig: async () => (mutant.persistent ? `mutant://${join(dir, `snap-${n++}.bin`)}?persist_on_shutdown=true` : 'mutant://'),
  manyObjects: 3000,
  largeObjectBytes: 2 * 1024 * 1024,
});
