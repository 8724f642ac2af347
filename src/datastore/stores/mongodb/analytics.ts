/**
 * Repository analytics as aggregation pipelines, run by the server. Only
 * pipelines FerretDB 1.24 computes correctly are here, each pinned by a test
 * against the same figure computed in TypeScript: counts by $group with
 * {$sum: 1}. Byte totals are summed client-side (FerretDB gave {$sum: '$n'}
 * as 0). A stage the server does not list, or an operator it reports as not
 * implemented (FerretDB 1.24 lacks $arrayElemAt, used by refsByKind), is an
 * UnsupportedError.
 */
import type { Document } from 'mongodb';
import { UnsupportedError } from '../../errors.js';
import type { ObjectType } from '../../types.js';
import type { Collections } from './collections.js';
import type { ServerFeatures } from './server-features.js';
import { hexKey, hexPrefixEnd, visibleAt } from './records.js';

function checkStages(features: ServerFeatures, pipeline: Document[]): void {
  const listed = features.aggregationStages;
  if (!listed) return;
  for (const stage of pipeline) {
    const name = Object.keys(stage)[0];
    if (!listed.includes(name)) throw new UnsupportedError(`this server (FerretDB ${features.ferretdb}) has no aggregation stage ${name}`);
  }
}

async function countsBy(c: Collections, features: ServerFeatures, coll: { aggregate(p: Document[]): { toArray(): Promise<Document[]> } }, match: Document, field: string): Promise<Map<string, number>> {
  const pipeline = [{ $match: match }, { $group: { _id: `$${field}`, n: { $sum: 1 } } }];
  checkStages(features, pipeline);
  const out = new Map<string, number>();
  for (const row of await run(features, () => coll.aggregate(pipeline).toArray())) out.set(String(row._id), Number(row.n));
  return out;
}

/** How many objects of each type the store holds. */
export async function objectsByType(c: Collections, features: ServerFeatures): Promise<Record<ObjectType, number>> {
  const total: Record<ObjectType, number> = { blob: 0, tree: 0, commit: 0, tag: 0 };
  for (const shard of c.objectShards) {
    for (const [type, n] of await countsBy(c, features, shard, {}, 'type')) total[type as ObjectType] += n;
  }
  return total;
}

/** Audit events per action, optionally for one repository, at a snapshot. */
export async function eventsByAction(c: Collections, features: ServerFeatures, snapshot: number, repositoryId?: string): Promise<Map<string, number>> {
  const match: Document = { s: { $lte: snapshot } };
  if (repositoryId !== undefined) match.repositoryId = repositoryId;
  return countsBy(c, features, c.events, match, 'action');
}

/** Refs per kind (the second path segment: heads, tags, ...) of a repository, at a snapshot. */
export async function refsByKind(c: Collections, features: ServerFeatures, snapshot: number, repositoryId: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const pipeline = [
    { $match: { c: 'r', g: repositoryId, kx: { $gte: hexKey('refs/'), $lt: hexPrefixEnd('refs/') }, ...visibleAt(snapshot) } },
    { $project: { kind: { $arrayElemAt: [{ $split: ['$k', '/'] }, 1] } } },
    { $group: { _id: '$kind', n: { $sum: 1 } } },
  ];
  checkStages(features, pipeline);
  for (const row of await run(features, () => c.records.aggregate(pipeline).toArray())) out.set(String(row._id), Number(row.n));
  return out;
}

/** A pipeline the server refuses as not implemented (FerretDB: code 238) is an UnsupportedError. */
async function run(features: ServerFeatures, fn: () => Promise<Document[]>): Promise<Document[]> {
  try {
    return await fn();
  } catch (err) {
    const e = err as { code?: number; message?: string };
    if (e.code === 238) throw new UnsupportedError(`this server${features.ferretdb ? ` (FerretDB ${features.ferretdb})` : ''} cannot run this analytics pipeline: ${e.message}`);
    throw err;
  }
}
