/**
 * Running one git test on several stores: each target names a fresh store;
 * describeOnStores repeats a describe block on every target with the fixture
 * repository (test/git/fixture.ts) made and a fresh store opened before its
 * cases, and both removed after them.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe } from 'node:test';
import { createStore } from '../../src/datastore/builtin.js';
import type { DataStore } from '../../src/datastore/store.js';
import { tempDir } from '../../support/temp-dir.js';
import { makeFixtureRepo, removeDir } from '../git/fixture.js';

export interface StoreTarget {
  name: string;
  uri(): string;
}

const created: string[] = [];
process.on('exit', () => {
  for (const dir of created) rmSync(dir, { recursive: true, force: true });
});

/** A URI in a directory of its own, removed when the process exits. */
function inTempDir(prefix: string, make: (dir: string) => string): () => string {
  return () => {
    const dir = tempDir(prefix).path;
    created.push(dir);
    return make(dir);
  };
}

export const STORE_TARGETS: StoreTarget[] = [
  { name: 'memory', uri: () => 'memory://' },
  { name: 'sqlite', uri: inTempDir('govc-sqlite-', (dir) => `sqlite://${join(dir, 'govc.db')}`) },
  { name: 'lsm', uri: inTempDir('govc-lsm-', (dir) => `lsm://${join(dir, 'db')}`) },
];

export function openStore(target: StoreTarget): Promise<DataStore> {
  return createStore(target.uri());
}

/** What describeOnStores hands its body; the fields are set by the time the body's own before hooks run. */
export interface StoreFixture {
  target: StoreTarget;
  /** A temp dir holding the fixture repository; removed after the block. */
  root: string;
  /** The fixture repository's work tree (makeFixtureRepo). */
  repo: string;
  /** A fresh store of the target, closed after the block. */
  store: DataStore;
}

/** `describe(`${title} on ${target}`)` once per target, with a StoreFixture. */
export function describeOnStores(title: string, body: (fx: StoreFixture) => void, targets: StoreTarget[] = STORE_TARGETS): void {
  for (const target of targets) {
    describe(`${title} on ${target.name}`, () => {
      const fx = { target } as StoreFixture;
      before(async () => {
        fx.root = tempDir('govc-git-').path;
        fx.repo = makeFixtureRepo(fx.root);
        fx.store = await openStore(target);
      });
      after(async () => {
        await fx.store?.close();
        if (fx.root) removeDir(fx.root);
      });
      body(fx);
    });
  }
}
