/** TreeScanner: skipping the entries a tree shares with the last one of its name never skips an unseen entry. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseTree } from '../../src/git/objects/tree.js';
import { TreeScanner } from '../../src/git/protocol/tree-scanner.js';

/** A deterministic generator, so a failure reproduces. */
function rng(seed: number): (n: number) => number {
  let x = seed;
  return (n) => {
    x = (Math.imul(x, 1103515245) + 12345) & 0x7fffffff;
    return x % n;
  };
}

interface Entry {
  mode: string;
  name: string;
  id: Buffer;
}

function serialize(entries: Entry[]): Buffer {
  return Buffer.concat(entries.flatMap((e) => [Buffer.from(`${e.mode} ${e.name}\0`, 'latin1'), e.id]));
}

/** Raw ids full of spaces, NULs and mode digits: entry boundaries that a tail comparison could misread. */
function trickyId(rand: (n: number) => number): Buffer {
  const alphabet = [0x20, 0x00, 0x31, 0x30, 0x34, 0x36, 0x61];
  return Buffer.from(Array.from({ length: 20 }, () => (rand(3) === 0 ? rand(256) : alphabet[rand(alphabet.length)])));
}

describe('TreeScanner', () => {
  it('reports every entry not shared with the previous version, over random edits', () => {
    const rand = rng(42);
    const seen = new Set<string>();
    const scanner = new TreeScanner(20);
    let reported = 0;
    let total = 0;
    for (let name = 0; name < 4; name++) {
      let entries: Entry[] = Array.from({ length: 30 }, (_, i) => ({ mode: i % 5 === 0 ? '40000' : '100644', name: `e${i}`, id: trickyId(rand) }));
      for (let version = 0; version < 300; version++) {
        const edit = rand(4);
        const at = rand(entries.length);
        if (edit === 0) entries[at] = { ...entries[at], id: trickyId(rand) };
        else if (edit === 1) entries.splice(at, 0, { mode: '100644', name: `n${version}`, id: trickyId(rand) });
        else if (edit === 2 && entries.length > 2) entries.splice(at, 1);
        else entries = entries.map((e, i) => (i === at || i === (at + 7) % entries.length ? { ...e, id: trickyId(rand) } : e));
        const buf = serialize(entries);
        scanner.scan(buf, `dir${name}`, (e) => {
          reported++;
          if (e.kind !== 'gitlink') seen.add(e.id);
        });
        const all = parseTree(buf);
        total += all.length;
        for (const e of all) assert.ok(seen.has(e.id), `version ${version} of dir${name}: entry ${e.name.toString('latin1')} was skipped but never seen`);
      }
    }
    // And it does skip: most entries are shared with the previous version.
    assert.ok(reported < total / 4, `reported ${reported} of ${total} entries`);
  });

  it('does not skip a shared tail that parses as different entries', () => {
    // prev: A = `100644 a\0` + id "XX100644 q\0ZZZZZZZZZ", B = `100644 xxxx1 r\0` + idB.
    // next: P, then prev's bytes from inside A's id: `100644 q\0` + id "ZZZZZZZZZ100644 xxxx"
    // (an entry prev never had), then `1 r\0` + idB.
    const idA = Buffer.from('XX100644 q\0ZZZZZZZZZ', 'latin1');
    const idB = Buffer.alloc(20, 0xbb);
    const prev = Buffer.concat([Buffer.from('100644 a\0', 'latin1'), idA, Buffer.from('100644 xxxx1 r\0', 'latin1'), idB]);
    const next = Buffer.concat([Buffer.from('100644 p\0', 'latin1'), Buffer.alloc(20, 0xcc), prev.subarray(9 + 2)]);
    assert.equal(parseTree(next).length, 3);
    const scanner = new TreeScanner(20);
    const seen = new Set<string>();
    for (const buf of [prev, next]) scanner.scan(buf, 'd', (e) => seen.add(e.id));
    for (const e of parseTree(next)) assert.ok(seen.has(e.id), `entry ${e.name.toString('latin1')} (${e.id}) was skipped`);
  });

  it('parses names, kinds and ids like parseTree, and scans everything without a name', () => {
    const entries: Entry[] = [
      { mode: '100644', name: 'a.txt', id: Buffer.alloc(20, 1) },
      { mode: '40000', name: 'dir', id: Buffer.alloc(20, 2) },
      { mode: '160000', name: 'sub', id: Buffer.alloc(20, 3) },
      { mode: '120000', name: 'link', id: Buffer.alloc(20, 4) },
    ];
    const buf = serialize(entries);
    const scanner = new TreeScanner(20);
    for (let i = 0; i < 2; i++) {
      const got: string[] = [];
      scanner.scan(buf, undefined, (e) => got.push(`${e.kind} ${buf.toString('latin1', e.nameStart, e.nameEnd)} ${e.id}`));
      assert.deepEqual(got, [
        `blob a.txt ${'01'.repeat(20)}`,
        `tree dir ${'02'.repeat(20)}`,
        `gitlink sub ${'03'.repeat(20)}`,
        `blob link ${'04'.repeat(20)}`,
      ]);
    }
    assert.throws(() => scanner.scan(buf.subarray(0, buf.length - 3), undefined, () => undefined), /malformed entry/);
  });
});
