/**
 * Clone lists: a clone's objects kept per set of wants. The same wants are
 * served from the list; wants that grew from the last list's (a branch moved
 * forward) extend it; wants that lost history (a branch deleted) walk again,
 * so no object of the deleted branch is listed. Every list equals a fresh walk.
 */
import assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { createStore } from '../../src/datastore/builtin.js';
import type { DataStore } from '../../src/datastore/store.js';
import { cloneObjects } from '../../src/git/protocol/clone-lists.js';
import { Walker } from '../../src/git/protocol/walk.js';
import { decodeSendList, encodeSendList } from '../../src/git/transfer/send-list-file.js';
import { SendList } from '../../src/git/transfer/send-list.js';
import { cloneListOptions, parseCloneLists } from '../../src/server/clone-lists-config.js';
import { parseServerYaml } from '../../src/server/config.js';
import { tempDir } from '../../support/temp-dir.js';

let clock = 1_700_000_000;

async function commit(store: DataStore, parent: string | undefined, files: Record<string, string>): Promise<string> {
  const entries: Buffer[] = [];
  for (const name of Object.keys(files).sort()) {
    const blob = await store.putObject({ type: 'blob', data: Buffer.from(files[name]) });
    entries.push(Buffer.from(`100644 ${name}\0`), Buffer.from(blob, 'hex'));
  }
  const tree = await store.putObject({ type: 'tree', data: Buffer.concat(entries) });
  clock += 60;
  const who = `a <a@example.com> ${clock} +0000`;
  return store.putObject({ type: 'commit', data: Buffer.from(`tree ${tree}\n${parent ? `parent ${parent}\n` : ''}author ${who}\ncommitter ${who}\n\nc\n`) });
}

async function walked(store: DataStore, wants: string[]): Promise<string[]> {
  return [...(await new Walker(store).objectsToSend(wants, [], {}))].map((o) => o.id).sort();
}

const ids = (list: SendList) => [...list].map((o) => o.id).sort();

test('clone lists: hit for the same wants, extended when history grew, walked again when it shrank', async () => {
  const store = await createStore('memory://');
  const dir = tempDir('govc-clone-lists-');
  try {
    const lists = { options: { dir: dir.path, maxBytes: 1 << 20 }, repositoryId: 'r1' };
    const c1 = await commit(store, undefined, { a: 'one\n', b: 'two\n' });
    const side = await commit(store, c1, { a: 'one\n', b: 'two\n', secret: 'only on the side branch\n' });
    const secret = await store.putObject({ type: 'blob', data: Buffer.from('only on the side branch\n') });

    const first = await cloneObjects(store, lists, [c1, side]);
    assert.equal(first.use, 'walked');
    assert.deepEqual(ids(first.sending), await walked(store, [c1, side]));
    const again = await cloneObjects(store, lists, [side, c1]);
    assert.equal(again.use, 'hit');
    assert.deepEqual([...again.sending], [...first.sending]);

    const c2 = await commit(store, c1, { a: 'one, changed\n', b: 'two\n' });
    const grown = await cloneObjects(store, lists, [c2, side]);
    assert.equal(grown.use, 'extended');
    assert.deepEqual(ids(grown.sending), await walked(store, [c2, side]));

    // The side branch deleted: its commit and blob must not be listed.
    const shrunk = await cloneObjects(store, lists, [c2]);
    assert.equal(shrunk.use, 'walked');
    assert.deepEqual(ids(shrunk.sending), await walked(store, [c2]));
    assert.ok(!shrunk.sending.has(secret) && !shrunk.sending.has(side));
    // Two lists are kept per repository.
    assert.equal(readdirSync(join(dir.path, readdirSync(dir.path)[0])).length, 2);
  } finally {
    dir.remove();
    await store.close();
  }
});

test('clone lists: a damaged list file is not used', async () => {
  const store = await createStore('memory://');
  const dir = tempDir('govc-clone-lists-');
  try {
    const lists = { options: { dir: dir.path, maxBytes: 1 << 20 }, repositoryId: 'r1' };
    const c1 = await commit(store, undefined, { a: 'x\n' });
    await cloneObjects(store, lists, [c1]);
    const sub = join(dir.path, readdirSync(dir.path)[0]);
    const file = join(sub, readdirSync(sub)[0]);
    writeFileSync(file, 'not a list');
    const again = await cloneObjects(store, lists, [c1]);
    assert.equal(again.use, 'walked');
    assert.deepEqual(ids(again.sending), await walked(store, [c1]));
  } finally {
    dir.remove();
    await store.close();
  }
});

test('a send list survives its encoding, and a flipped byte is refused', () => {
  const list = new SendList();
  list.push('a'.repeat(40), 'commit');
  list.push('b'.repeat(40), 'tree', '');
  list.push('c'.repeat(40), 'blob', 'n\xe9me');
  list.push('d'.repeat(40), 'blob', 'n\xe9me');
  const bytes = Buffer.concat(encodeSendList(list, { wants: ['x'] }));
  const { list: back, head } = decodeSendList(bytes);
  assert.deepEqual([...back], [...list]);
  assert.deepEqual(head.wants, ['x']);
  bytes[bytes.length - 30] ^= 1;
  assert.throws(() => decodeSendList(bytes), /damaged/);
});

test('server.clone_lists: defaults, off, and unknown keys refused', () => {
  assert.deepEqual(cloneListOptions(parseCloneLists({}), '/tmp/t'), { dir: '/tmp/t/clone-lists', maxBytes: 256 * 1024 ** 2 });
  assert.equal(cloneListOptions(parseCloneLists({ enabled: false }), '/tmp/t'), undefined);
  assert.deepEqual(cloneListOptions(parseCloneLists({ dir: '/x', max_size: '1MB' }), '/tmp/t'), { dir: '/x', maxBytes: 1024 ** 2 });
  assert.throws(() => parseCloneLists({ max_age: '5m' }), /max_age/);
  assert.deepEqual(parseServerYaml('server: {clone_lists: {enabled: false}}\n', 'govc.yaml').cloneLists, { enabled: false, maxBytes: 256 * 1024 ** 2 });
});
