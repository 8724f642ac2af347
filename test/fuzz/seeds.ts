/**
 * Real inputs to mutate: small packs written by git (ofs-deltas, ref-deltas,
 * a thin pack whose bases live outside it), the deltas inside them, and the
 * objects a thin pack's bases come from. Kept small so a failing input
 * prints as a few KB of hex.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GitObject, ObjectType } from '../../src/datastore/types.js';
import { createDelta } from '../../src/git/pack/delta-encode.js';
import { gitBuffer, gitSync } from '../../support/git.js';
import { tempDir } from '../../support/temp-dir.js';
import { removeDir } from '../git/fixture.js';
import { parsePack, type Pack } from './pack-model.js';

export interface Seeds {
  /** name -> pack bytes */
  packs: Record<'ofs' | 'ref' | 'thin', Buffer>;
  models: Pack[];
  /** Every object of the repository by id: the bases a thin pack needs. */
  objects: Map<string, GitObject>;
  /** Deltas with the base they apply to. */
  deltas: Array<{ base: Buffer; delta: Buffer }>;
}

function text(version: number): string {
  let s = '';
  for (let i = 0; i < 40; i++) s += `line ${i}${i % 9 === version % 9 ? ` changed in v${version}` : ''}\n`;
  return s;
}

function allObjects(dir: string): Map<string, GitObject> {
  const out = gitBuffer(dir, ['cat-file', '--batch-all-objects', '--batch']);
  const objects = new Map<string, GitObject>();
  for (let pos = 0; pos < out.length; ) {
    const eol = out.indexOf(10, pos);
    const [id, type, size] = out.toString('latin1', pos, eol).split(' ');
    const data = out.subarray(eol + 1, eol + 1 + Number(size));
    objects.set(id, { type: type as ObjectType, data: Buffer.from(data) });
    pos = eol + 1 + Number(size) + 1;
  }
  return objects;
}

let cached: Seeds | undefined;

export function makeSeeds(): Seeds {
  if (cached) return cached;
  const root = tempDir('govc-fuzz-').path;
  try {
    const dir = join(root, 'repo');
    mkdirSync(dir);
    gitSync(dir, ['init', '-q', '-b', 'main']);
    for (let v = 1; v <= 4; v++) {
      writeFileSync(join(dir, 'a.txt'), text(v));
      writeFileSync(join(dir, 'b.txt'), text(v + 4).toUpperCase());
      gitSync(dir, ['add', '-A']);
      const date = `${1_700_000_000 + v * 3600} +0000`;
      gitSync(dir, ['commit', '-q', '-m', `v${v}`], { env: { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date } });
    }
    gitSync(dir, ['tag', '-a', 'v4', '-m', 'tag v4']);
    const pack = (args: string[], revs: string) => gitBuffer(dir, ['pack-objects', '--stdout', '--revs', '-q', ...args], { input: revs });
    const packs = {
      ofs: pack(['--delta-base-offset'], 'main~2\n'),
      ref: pack([], 'main\nv4\n'),
      thin: pack(['--thin'], 'main\n^main~1\n'),
    };
    const models = Object.values(packs).map(parsePack);
    const objects = allObjects(dir);
    const deltas: Seeds['deltas'] = [];
    for (const model of models) {
      for (const e of model.entries) {
        const base = e.code === 6 ? model.entries[e.base!]?.payload : e.code === 7 ? objects.get(e.baseId!.toString('hex'))?.data : undefined;
        // An ofs base that is itself a delta is not the bytes this delta applies to: skip those.
        if (base && !(e.code === 6 && model.entries[e.base!].code >= 6)) deltas.push({ base: Buffer.from(base), delta: e.payload });
      }
    }
    const a = Buffer.from(text(1));
    for (const target of [text(2), text(1).repeat(3), 'x', '']) deltas.push({ base: a, delta: createDelta(a, Buffer.from(target))! });
    deltas.push({ base: Buffer.alloc(0), delta: createDelta(Buffer.alloc(0), Buffer.from('only inserts'))! });
    cached = { packs, models, objects, deltas };
    return cached;
  } finally {
    removeDir(root);
  }
}
