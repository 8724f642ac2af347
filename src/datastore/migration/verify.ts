/**
 * Verify: compares two stores as a sorted merge of both sides per kind (no
 * lookup per item), objects in parallel shards. Objects compare by stored
 * entry, and when the entries differ (one store re-encoded it) by content.
 */
import { Buffer } from 'node:buffer';
import type { ProgressListener } from '../../git/progress.js';
import type { CommitIndexRow } from '../commit-index/index.js';
import type { DataStore } from '../store.js';
import type { ObjectEntry, Ref } from '../types.js';
import type { RecordKind } from './records.js';
import * as sorted from './sorted.js';
import { canonical, inParallel, mergeSorted, OBJECT_SHARDS, type Keyed, type Merged } from './sorted.js';

export interface Difference {
  kind: RecordKind;
  key: string;
  problem: 'missing in target' | 'only in target' | 'differs';
}

export interface VerifyOptions {
  parallel?: number;
  batchSize?: number;
  /** Differences kept for the report; all are counted. */
  keep?: number;
  onProgress?: ProgressListener;
}

export interface VerifyReport {
  equal: boolean;
  compared: Record<RecordKind, number>;
  differences: number;
  first: Difference[];
}

export async function verifyStores(source: DataStore, target: DataStore, options: VerifyOptions = {}): Promise<VerifyReport> {
  const report: VerifyReport = { equal: true, compared: { object: 0, repository: 0, ref: 0, user: 0, event: 0, config: 0, commit: 0 }, differences: 0, first: [] };
  const keep = options.keep ?? 100;
  const batchSize = options.batchSize ?? 500;
  const total = (await source.metrics()).objectCount;
  const differ = (kind: RecordKind, key: string, problem: Difference['problem']) => {
    report.equal = false;
    report.differences++;
    if (report.first.length < keep) report.first.push({ kind, key, problem });
  };
  /** Counts one merged item and reports it unless both sides hold it equal. */
  const compare = <T>(kind: RecordKind, m: Merged<T, T>, same = (a: T, b: T) => canonical(a) === canonical(b)) => {
    report.compared[kind]++;
    if (m.left === undefined) differ(kind, m.key, 'only in target');
    else if (m.right === undefined) differ(kind, m.key, 'missing in target');
    else if (!same(m.left, m.right)) differ(kind, m.key, 'differs');
  };

  const shard = async (prefix: string) => {
    let both: string[] = [];
    const check = async () => {
      const [a, b] = await Promise.all([source.getEntries(both), target.getEntries(both)]);
      const unlike = both.filter((id) => !sameEntry(a.get(id), b.get(id)));
      if (unlike.length > 0) {
        const [x, y] = await Promise.all([source.getObjects(unlike), target.getObjects(unlike)]);
        for (const id of unlike) {
          const l = x.get(id);
          const r = y.get(id);
          if (!l || !r || l.type !== r.type || Buffer.compare(l.data, r.data) !== 0) differ('object', id, 'differs');
        }
      }
      both = [];
    };
    for await (const m of mergeSorted(sorted.objectIds(source, prefix), sorted.objectIds(target, prefix), 'object ids')) {
      if (m.left === undefined || m.right === undefined) compare('object', m);
      else {
        both.push(m.key);
        report.compared.object++;
      }
      if (both.length >= batchSize) await check();
      options.onProgress?.({ phase: 'objects', done: report.compared.object, total });
    }
    if (both.length > 0) await check();
  };

  const records = async () => {
    for await (const m of mergeSorted(sorted.repositories(source), sorted.repositories(target), 'repositories')) {
      compare('repository', m);
      const left = m.left ? sorted.refs(source, m.left.id) : none<Ref>();
      const right = m.right ? sorted.refs(target, m.right.id) : none<Ref>();
      for await (const r of mergeSorted(left, right, 'refs')) compare('ref', { ...r, key: `${m.key} ${r.key}` });
      const leftRows = m.left ? sorted.commits(source, m.left.id) : none<CommitIndexRow>();
      const rightRows = m.right ? sorted.commits(target, m.right.id) : none<CommitIndexRow>();
      for await (const c of mergeSorted(leftRows, rightRows, 'commit rows')) compare('commit', { ...c, key: `${m.key} ${c.key}` });
    }
    for await (const m of mergeSorted(sorted.users(source), sorted.users(target), 'users')) compare('user', m);
    for await (const m of mergeSorted(sorted.events(source), sorted.events(target), 'events')) compare('event', m);
    for await (const m of mergeSorted(sorted.config(source), sorted.config(target), 'config keys')) compare('config', m, (a, b) => a === b);
  };

  await Promise.all([inParallel(OBJECT_SHARDS, options.parallel ?? 4, shard), records()]);
  return report;
}

function sameEntry(a: ObjectEntry | undefined, b: ObjectEntry | undefined): boolean {
  if (!a || !b) return false;
  return a.type === b.type && a.size === b.size && a.encoding === b.encoding && a.base === b.base && Buffer.compare(a.bytes, b.bytes) === 0;
}

async function* none<T>(): AsyncGenerator<Keyed<T>> {}
