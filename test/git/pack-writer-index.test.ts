/** writePack's `index: false` (upload-pack): the same pack bytes, no entries collected. */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { writePack, type PackInput } from '../../src/git/index.js';

function collect(): { sink: Writable; bytes(): Buffer } {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk);
      cb();
    },
  });
  return { sink, bytes: () => Buffer.concat(chunks) };
}

describe('writePack index option', () => {
  it('writes the same pack with and without collecting entries', async () => {
    const objects: PackInput[] = Array.from({ length: 20 }, (_, i) => ({
      type: 'blob' as const,
      data: Buffer.from(`version ${i} of a file that is long enough to be deltified against the previous one\n`.repeat(3)),
      name: 'file.txt',
    }));
    const a = collect();
    const b = collect();
    const withIndex = await writePack(objects, a.sink, { deltas: true });
    const without = await writePack(objects, b.sink, { deltas: true, index: false, count: objects.length });
    assert.equal(withIndex.entries.length, 20);
    assert.deepEqual(without.entries, []);
    assert.equal(without.count, 20);
    assert.equal(without.checksum, withIndex.checksum);
    assert.ok(a.bytes().equals(b.bytes()));
    await assert.rejects(writePack(objects, collect().sink, { index: false, count: 21 }), /told 21 objects but got 20/);
  });
});
