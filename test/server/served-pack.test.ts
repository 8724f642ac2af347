/**
 * The pack govc serve sends: versions of a file as deltas, ofs-deltas when
 * the client asks for ofs-delta (git clone does), ref-deltas when it does not;
 * either way a pack `git index-pack` accepts.
 */
import assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PackReader } from '../../src/git/pack/index.js';
import { createRepo, repoUrl } from '../support/server.js';
import { gitEnv, gitOk } from '../../support/git.js';
import { startGovc, type Govc } from '../../support/govc.js';
import { tempDir } from '../../support/temp-dir.js';

/** Deltified entries and all entries of a pack, by `git verify-pack -v` (a delta line has a depth and a base). */
async function packStats(dir: string, env: NodeJS.ProcessEnv, idx: string): Promise<{ deltas: number; objects: number }> {
  const out = await gitOk(dir, env, ['verify-pack', '-v', idx]);
  let deltas = 0;
  let objects = 0;
  for (const line of out.split('\n')) {
    const cols = line.trim().split(/\s+/);
    if (!/^[0-9a-f]{40}$/.test(cols[0] ?? '') || !['commit', 'tree', 'blob', 'tag'].includes(cols[1])) continue;
    objects++;
    if (cols.length >= 7) deltas++;
  }
  return { deltas, objects };
}

/** How many entries of each kind (object, ofs-delta, ref-delta) a pack holds. */
async function entryKinds(packPath: string): Promise<Record<string, number>> {
  const { reader, index } = await PackReader.open(packPath);
  try {
    const kinds: Record<string, number> = {};
    for (let i = 0; i < index.count; i++) {
      const { header } = await reader.readRaw(index.offsetAt(i));
      kinds[header.kind] = (kinds[header.kind] ?? 0) + 1;
    }
    return kinds;
  } finally {
    await reader.close();
  }
}

/** A v0 upload-pack request for `want` with `caps`, no side-band: the response is NAK, then the raw pack. */
async function fetchRawPack(url: string, want: string, caps: string[]): Promise<Buffer> {
  const pkt = (s: string) => (s.length + 4).toString(16).padStart(4, '0') + s;
  const body = pkt(`want ${want} ${caps.join(' ')}\n`) + '0000' + pkt('done\n');
  const res = await fetch(`${url}/git-upload-pack`, { method: 'POST', headers: { 'content-type': 'application/x-git-upload-pack-request' }, body });
  assert.equal(res.status, 200);
  const bytes = Buffer.from(await res.arrayBuffer());
  const at = bytes.indexOf('PACK');
  assert.ok(at > 0, `no pack in the response: ${bytes.subarray(0, 200).toString('latin1')}`);
  assert.equal(bytes.subarray(0, at).toString('latin1'), '0008NAK\n');
  return bytes.subarray(at);
}

describe('govc serve: the pack it sends', () => {
  let govc: Govc;
  const tmp = tempDir();
  const env = gitEnv(tmp.path);
  const src = join(tmp.path, 'src');
  let head: string;

  before(async () => {
    govc = await startGovc(['--store', 'memory://', '--init-admin', 'admin']);
    await createRepo(govc.url, govc.adminToken, 'deltas');
    await gitOk(tmp.path, env, ['init', '-q', '-b', 'main', 'src']);
    // Ten versions of a 4 KiB file in a directory of 40 files: blobs and trees that deltify well.
    const lines = Array.from({ length: 100 }, (_, i) => `line ${i} of a file long enough to be worth a delta\n`);
    for (let i = 0; i < 40; i++) writeFileSync(join(src, `f${String(i).padStart(2, '0')}.txt`), `file ${i}\n`);
    for (let v = 0; v < 10; v++) {
      lines[v * 7] = `changed in version ${v}\n`;
      writeFileSync(join(src, 'big.txt'), lines.join(''));
      await gitOk(src, env, ['add', '-A']);
      await gitOk(src, env, ['commit', '-q', '-m', `version ${v}`]);
    }
    await gitOk(src, env, ['push', '-q', repoUrl(govc.url, 'deltas', 'admin', govc.adminToken), 'main']);
    head = (await gitOk(src, env, ['rev-parse', 'HEAD'])).trim();
  });
  after(async () => {
    assert.equal(await govc.stop(), 0, govc.output());
    tmp.remove();
  });

  for (const version of ['2', '0']) {
    it(`git clone (protocol v${version}) gets versions of a file as deltas`, async () => {
      const dest = `clone-v${version}.git`;
      await gitOk(tmp.path, env, ['-c', `protocol.version=${version}`, '-c', 'fetch.unpackLimit=1', '-c', 'transfer.unpackLimit=1', 'clone', '-q', '--bare', repoUrl(govc.url, 'deltas'), dest]);
      const clone = join(tmp.path, dest);
      await gitOk(clone, env, ['fsck', '--full', '--strict']);
      const packDir = join(clone, 'objects', 'pack');
      const idx = readdirSync(packDir).find((f) => f.endsWith('.idx'));
      assert.ok(idx, 'the clone has a pack');
      const stats = await packStats(clone, env, join(packDir, idx));
      assert.equal(stats.objects, 10 * 2 + 10 + 40, 'every commit, tree and blob');
      // 9 later versions of big.txt and 9 of the root tree: all deltas against their neighbours.
      assert.ok(stats.deltas >= 18, `only ${stats.deltas} of ${stats.objects} objects were sent as deltas`);
    });
  }

  it('sends ref-deltas to a client that did not ask for ofs-delta, and ofs-deltas when it did', async () => {
    const url = `${govc.url}/deltas.git`;
    for (const [caps, ofs] of [[['agent=test'], false], [['ofs-delta', 'agent=test'], true]] as const) {
      const pack = await fetchRawPack(url, head, [...caps]);
      const name = `raw-${ofs ? 'ofs' : 'ref'}.pack`;
      writeFileSync(join(tmp.path, name), pack);
      await gitOk(tmp.path, env, ['index-pack', name]);
      const stats = await packStats(tmp.path, env, join(tmp.path, name.replace(/\.pack$/, '.idx')));
      assert.equal(stats.objects, 10 * 2 + 10 + 40, 'every commit, tree and blob');
      assert.ok(stats.deltas >= 18, `${stats.deltas} deltas`);
      const kinds = await entryKinds(join(tmp.path, name));
      assert.equal(kinds[ofs ? 'ref-delta' : 'ofs-delta'] ?? 0, 0, JSON.stringify(kinds));
      assert.ok((kinds[ofs ? 'ofs-delta' : 'ref-delta'] ?? 0) >= 18, JSON.stringify(kinds));
    }
  });
});
