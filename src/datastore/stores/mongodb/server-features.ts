/**
 * What the server offers, found at open from `hello` and `buildInfo` and one
 * probe: replica set (needed for multi-document transactions and change
 * streams), TTL indexes, and whether it is FerretDB (and which aggregation
 * stages it implements). Reported in health details; the store's own
 * atomicity and change feed never depend on them (see commit-log.ts).
 */
import type { Db } from 'mongodb';

export interface ServerFeatures {
  version: string;
  /** FerretDB's own version when the server is FerretDB. */
  ferretdb: string | null;
  replicaSet: string | null;
  sharded: boolean;
  /** Multi-document transactions: MongoDB 4.0+ on a replica set, 4.2+ sharded, with sessions. */
  transactions: boolean;
  changeStreams: boolean;
  ttlIndexes: boolean;
  /** Aggregation stages the server lists (FerretDB lists them); null when it does not say. */
  aggregationStages: string[] | null;
}

interface Hello {
  setName?: string;
  msg?: string;
  maxWireVersion?: number;
  logicalSessionTimeoutMinutes?: number | null;
}

interface BuildInfo {
  version?: string;
  ferretdbVersion?: string;
  ferretdbFeatures?: { aggregationStages?: string[] };
}

async function probeTtl(db: Db): Promise<boolean> {
  const probe = db.collection('probe_ttl');
  try {
    await probe.createIndex({ at: 1 }, { expireAfterSeconds: 3600, name: 'ttl_probe' });
    return true;
  } catch {
    return false;
  } finally {
    await probe.drop().catch(() => undefined);
  }
}

export async function detectFeatures(db: Db): Promise<ServerFeatures> {
  const admin = db.admin();
  const hello = (await admin.command({ hello: 1 })) as Hello;
  const build = (await admin.command({ buildInfo: 1 })) as BuildInfo;
  const replicaSet = hello.setName ?? null;
  const sharded = hello.msg === 'isdbgrid';
  const wire = hello.maxWireVersion ?? 0;
  const sessions = hello.logicalSessionTimeoutMinutes !== undefined && hello.logicalSessionTimeoutMinutes !== null;
  const ferretdb = build.ferretdbVersion ?? (build.ferretdbFeatures ? 'unknown' : null);
  return {
    version: build.version ?? 'unknown',
    ferretdb,
    replicaSet,
    sharded,
    // FerretDB answers hello like a MongoDB 7 primary but has neither.
    transactions: ferretdb === null && sessions && ((replicaSet !== null && wire >= 7) || (sharded && wire >= 8)),
    changeStreams: ferretdb === null && (replicaSet !== null || sharded) && wire >= 6,
    ttlIndexes: await probeTtl(db),
    aggregationStages: build.ferretdbFeatures?.aggregationStages ?? null,
  };
}
