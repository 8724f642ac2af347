/** The stores the git tests run against: a fresh one per call. */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { createStore } from '../../src/datastore/builtin.js';
import type { DataStore } from '../../src/datastore/store.js';
import { tempDir } from './fixture.js';

export interface StoreTarget {
  name: string;
  uri(): string;
}

const created: string[] = [];
process.on('exit', () => {
  for (const dir of created) rmSync(dir, { recursive: true, force: true });
});

export const STORE_TARGETS: StoreTarget[] = [
  { name: 'memory', uri: () => 'memory://' },
  {
    name: 'sqlite',
    uri: () => {
      const dir = tempDir('govc-sqlite-');
      created.push(dir);
      return `sqlite://${join(dir, 'govc.db')}`;
    },
  },
  {
    name: 'lsm',
    uri: () => {
      const dir = tempDir('govc-lsm-');
      created.push(dir);
      return `lsm://${join(dir, 'db')}`;
    },
  },
];

export function openStore(target: StoreTarget): Promise<DataStore> {
  return createStore(target.uri());
}
