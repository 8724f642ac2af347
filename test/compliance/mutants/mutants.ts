/**
 * Deliberately broken stores: each breaks one promise of the DataStore
 * contract. The mutants test runs the compliance suite against every one and
 * checks that the suite notices, so no case is one that cannot fail.
 */
import { BufferedTransaction } from '../../../src/datastore/buffered-transaction.js';
import type { StoreDriver, WriteOp } from '../../../src/datastore/driver.js';
import { DataStore } from '../../../src/datastore/store.js';
import type { EntryResolver } from '../../../src/datastore/objects/resolve.js';
import { KEYSPACE } from '../../../src/datastore/keyspace.js';
import { Operations } from '../../../src/datastore/operations.js';
import type { MemoryDriver } from '../../../src/datastore/stores/memory/memory-driver.js';

type Patch = (driver: MemoryDriver) => void;

export interface Mutant {
  /** Substrings of case titles that must fail against this mutant. */
  caughtBy: string[];
  patch?: Patch;
  /** Changes to shared classes, for promises kept above the driver. */
  global?: () => void;
  /** The driver is made persistent (snapshot path) and claims this much. */
  persistent?: boolean;
}

const d = (driver: MemoryDriver) => driver as unknown as Record<string, (...args: never[]) => unknown> & StoreDriver;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Rewrites the ops of every write before the real driver applies them. */
function rewriteOps(driver: MemoryDriver, fn: (op: WriteOp) => WriteOp | WriteOp[]): void {
  const write = driver.write.bind(driver);
  driver.write = (ops) => write(ops.flatMap(fn));
}

export const MUTANTS: Record<string, Mutant> = {
  'corrupts-bytes': {
    caughtBy: ['reads back exactly what was written', 'every byte value'],
    patch: (driver) => {
      const get = driver.getEntries.bind(driver);
      driver.getEntries = async (ids) => {
        const found = await get(ids);
        for (const [id, e] of found) {
          const bytes = Buffer.from(e.bytes);
          bytes[bytes.length - 1] ^= 1;
          found.set(id, { ...e, bytes });
        }
        return found;
      };
    },
  },
  'forgets-types': {
    caughtBy: ['keeps each object type'],
    patch: (driver) => {
      const get = driver.getEntries.bind(driver);
      driver.getEntries = async (ids) => {
        const found = await get(ids);
        for (const [id, e] of found) found.set(id, { ...e, type: 'blob' });
        return found;
      };
    },
  },
  'dependents-ignore-after': {
    caughtBy: ['lists the deltas on a base in id order'],
    patch: (driver) => {
      const list = driver.listDependents.bind(driver);
      driver.listDependents = async (baseId, range) => list(baseId, { limit: range.limit });
    },
  },
  'has-always-true': {
    caughtBy: ['absent objects as absent'],
    patch: (driver) => {
      driver.hasObjects = async (ids) => ids.map(() => true);
    },
  },
  'ignores-deletes': {
    caughtBy: ['deletes remove'],
    patch: (driver) => rewriteOps(driver, (op) => (op.op === 'deleteObject' ? [] : op)),
  },
  'drops-half-a-batch-read': {
    caughtBy: ['batch-puts and batch-gets'],
    patch: (driver) => {
      const get = driver.getEntries.bind(driver);
      driver.getEntries = async (ids) => get(ids.slice(0, Math.ceil(ids.length / 2)));
    },
  },
  'skips-at-page-boundary': {
    caughtBy: ['lists object ids in ascending order', 'small objects and lists them all'],
    patch: (driver) => {
      const list = driver.listObjectIds.bind(driver);
      driver.listObjectIds = async (range) => (range.after === undefined ? list(range) : (await list({ ...range, limit: range.limit + 1 })).slice(1));
    },
  },
  'counts-a-phantom-object': {
    caughtBy: ['empty list from an empty store', 'makes puts idempotent'],
    patch: (driver) => {
      const stats = driver.stats.bind(driver);
      driver.stats = async () => ({ ...(await stats()), objectCount: (await stats()).objectCount + 1 });
    },
  },
  'truncates-large-objects': {
    caughtBy: ['MiB object intact'],
    patch: (driver) => {
      const get = driver.getEntries.bind(driver);
      driver.getEntries = async (ids) => {
        const found = await get(ids);
        for (const [id, e] of found) if (e.size > 1024 * 1024) found.set(id, { ...e, bytes: e.bytes.subarray(0, Math.floor(e.bytes.length / 2)) });
        return found;
      };
    },
  },
  'ignores-expected-ref-values': {
    caughtBy: ['creates, updates and deletes a ref with compare-and-swap', 'exactly one of 32', 'loses no update'],
    patch: (driver) =>
      rewriteOps(driver, (op) => (op.op === 'updateRefs' ? { ...op, updates: op.updates.map((u) => ({ ...u, old: undefined })) } : op)),
  },
  'applies-ops-one-at-a-time': {
    caughtBy: ['multi-ref update all or nothing', 'changed after the transaction read it'],
    patch: (driver) => {
      const write = driver.write.bind(driver);
      driver.write = async (ops) => {
        for (const op of ops) {
          if (op.op === 'updateRefs') for (const u of op.updates) await write([{ ...op, updates: [u] }]);
          else await write([op]);
        }
      };
    },
  },
  'checks-then-sets-refs-later': {
    caughtBy: ['exactly one of 32', 'loses no update'],
    patch: (driver) => {
      const write = driver.write.bind(driver);
      driver.write = async (ops) => {
        for (const op of ops) {
          if (op.op !== 'updateRefs') continue;
          for (const u of op.updates) {
            const cur = await driver.getRef(op.repositoryId, u.name);
            if (u.old !== undefined && (cur?.target ?? null) !== u.old) return write(ops);
          }
          await sleep(1);
          return write(ops.map((o) => (o.op === 'updateRefs' ? { ...o, updates: o.updates.map((u) => ({ ...u, old: undefined })) } : o)));
        }
        return write(ops);
      };
    },
  },
  'loses-symbolic-refs': {
    caughtBy: ['symbolic refs'],
    patch: (driver) => rewriteOps(driver, (op) => (op.op === 'updateRefs' ? { ...op, updates: op.updates.map((u) => ({ ...u, symbolic: false })) } : op)),
  },
  'refs-without-repository': {
    caughtBy: ['repository that does not exist'],
    patch: (driver) => {
      const write = driver.write.bind(driver);
      driver.write = async (ops) => {
        for (const op of ops) {
          if (op.op === 'updateRefs' && !(await driver.getRepository(op.repositoryId))) return;
        }
        return write(ops);
      };
    },
  },
  'keeps-refs-of-deleted-repositories': {
    caughtBy: ["refs with the repository"],
    patch: (driver) => {
      const state = () => (driver as unknown as { state: { refs: Map<string, unknown> } }).state;
      const write = driver.write.bind(driver);
      driver.write = async (ops) => {
        const saved = ops.filter((o) => o.op === 'deleteRepository').map((o) => [(o as { id: string }).id, state().refs.get((o as { id: string }).id)] as const);
        await write(ops);
        for (const [id, refs] of saved) if (refs) state().refs.set(id, refs);
      };
    },
  },
  'like-wildcards-in-prefixes': {
    caughtBy: ['filters and pages repositories', 'filters and pages users', 'lists refs by prefix', 'config'],
    global: () => {
      const wild = (p: string) => new RegExp('^' + p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/%/g, '.*').replace(/_/g, '.'));
      const proto = String.prototype as unknown as { startsWith: (s: string) => boolean };
      const original = proto.startsWith;
      proto.startsWith = function (this: string, s: string) {
        return /[%_]/.test(s) ? wild(s).test(this) : original.call(this, s);
      };
    },
  },
  'duplicate-repository-names': {
    caughtBy: ['repositories with unique names'],
    patch: (driver) => {
      const byName = () => (driver as unknown as { state: { repositoryIdsByName: Map<string, string> } }).state.repositoryIdsByName;
      const write = driver.write.bind(driver);
      driver.write = async (ops) => {
        for (const op of ops) if (op.op === 'putRepository') byName().delete(op.repository.name);
        return write(ops);
      };
    },
  },
  'ignores-repository-filters': {
    caughtBy: ['filters and pages repositories'],
    patch: (driver) => {
      const list = driver.listRepositories.bind(driver);
      driver.listRepositories = async (q) => list({ ...q, visibility: undefined });
    },
  },
  'duplicate-emails': {
    caughtBy: ['usernames and emails unique'],
    patch: (driver) => {
      const byEmail = () => (driver as unknown as { state: { userIdsByEmail: Map<string, string> } }).state.userIdsByEmail;
      const write = driver.write.bind(driver);
      driver.write = async (ops) => {
        for (const op of ops) if (op.op === 'putUser') byEmail().delete(op.user.email);
        return write(ops);
      };
    },
  },
  'ignores-admin-filter': {
    caughtBy: ['filters and pages users'],
    patch: (driver) => {
      const list = driver.listUsers.bind(driver);
      driver.listUsers = async (q) => list({ ...q, isAdmin: undefined });
    },
  },
  'events-ignore-order': {
    caughtBy: ['audit events'],
    patch: (driver) => {
      const query = driver.queryEvents.bind(driver);
      driver.queryEvents = async (q) => query({ ...q, order: 'asc', after: q.order === 'desc' ? undefined : q.after });
    },
  },
  'events-count-off-by-one': {
    caughtBy: ['audit events'],
    patch: (driver) => {
      const count = driver.countEvents.bind(driver);
      driver.countEvents = async (q) => (await count(q)) + (q.userId ? 1 : 0);
    },
  },
  'ignores-record-versions': {
    caughtBy: ['keeps every field when', 'applies an update with ifVersion'],
    patch: (driver) =>
      rewriteOps(driver, (op) => (op.op === 'putRepository' || op.op === 'putUser' ? { ...op, ifVersion: undefined } : op)),
  },
  'ignores-config-prefix-deletes': {
    caughtBy: ['deletes a prefix and nothing beside it', 'deletes a repository with its refs, grants and commit index'],
    patch: (driver) => rewriteOps(driver, (op) => (op.op === 'deleteConfigPrefix' ? [] : op)),
  },
  'commit-index-ignored': {
    caughtBy: ['lists and queries the commit index a ref update wrote', 'keeps a large commit index write whole'],
    patch: (driver) => rewriteOps(driver, (op) => (op.op === 'setConfig' && op.key.startsWith(KEYSPACE.commitIndex) ? [] : op)),
  },
  'commit-index-beside-refs': {
    caughtBy: ['writes no commit-index rows when the ref update is refused'],
    global: () => {
      // The rows in a write of their own, before the refs: not atomic with them.
      const proto = Operations.prototype as unknown as Record<string, (...args: unknown[]) => Promise<void>>;
      const updateRefs = proto.updateRefs;
      proto.updateRefs = async function (this: Operations, repositoryId: unknown, updates: unknown, opts?: unknown) {
        const options = opts as { commits?: unknown[] } | undefined;
        if (options?.commits?.length) await (this as unknown as Record<string, (...a: unknown[]) => Promise<void>>).indexCommits(repositoryId, options.commits);
        return updateRefs.call(this, repositoryId, updates);
      };
    },
  },
  'config-deletes-ignored': {
    caughtBy: ['lists and deletes config'],
    patch: (driver) => rewriteOps(driver, (op) => (op.op === 'setConfig' && op.value === null ? [] : op)),
  },
  'transactions-write-through': {
    caughtBy: ['others see nothing before commit', 'discards everything on rollback', 'rolls back on throw'],
    global: () => {
      const proto = BufferedTransaction.prototype as unknown as { write(ops: WriteOp[]): Promise<void>; base: StoreDriver };
      proto.write = async function (this: { base: StoreDriver }, ops: WriteOp[]) {
        await this.base.write(ops);
      };
    },
  },
  'read-only-ignored': {
    caughtBy: ['isolation levels'],
    global: () => {
      const proto = BufferedTransaction.prototype as unknown as { write(ops: WriteOp[]): Promise<void> };
      const write = proto.write;
      proto.write = async function (this: { readOnly: boolean }, ops: WriteOp[]) {
        this.readOnly = false;
        return write.call(this, ops);
      };
    },
  },
  'unique-check-races': {
    caughtBy: ['concurrent writes and reads'],
    patch: (driver) => {
      const byName = () => (driver as unknown as { state: { userIdsByUsername: Map<string, string> } }).state.userIdsByUsername;
      const write = driver.write.bind(driver);
      driver.write = async (ops) => {
        const user = ops.find((o) => o.op === 'putUser');
        if (user && user.op === 'putUser' && user.mode === 'create' && !byName().has(user.user.username)) {
          await sleep(1);
          byName().delete(user.user.username);
        }
        return write(ops);
      };
    },
  },
  'claims-durability-it-lacks': {
    caughtBy: ['killed with SIGKILL'],
    persistent: true,
    patch: (driver) => {
      (driver as unknown as { capabilities: { durable: boolean } }).capabilities.durable = true;
    },
  },
  'snapshot-not-saved': {
    caughtBy: ['across close and reopen'],
    persistent: true,
    patch: (driver) => {
      (driver as unknown as { options: { snapshotPath?: string } }).options.snapshotPath = undefined;
      driver.open = async () => undefined;
    },
  },
  'restore-loses-visibility': {
    caughtBy: ['restores it into a fresh store'],
    patch: (driver) =>
      rewriteOps(driver, (op) => (op.op === 'putRepository' && op.mode === 'upsert' ? { ...op, repository: { ...op.repository, visibility: 'public' } } : op)),
  },
  'unhealthy-ping': {
    caughtBy: ['health, capabilities and metrics'],
    patch: (driver) => {
      driver.ping = async () => {
        throw new Error('ping failed');
      };
    },
  },
  'close-keeps-serving': {
    caughtBy: ['closed store'],
    global: () => {
      DataStore.prototype.close = async function () {};
    },
  },
  'skips-argument-checks': {
    caughtBy: ['malformed ids, types and data'],
    global: () => {
      type Self = { read: (w: number, fn: (r: StoreDriver) => Promise<Map<string, unknown>>) => Promise<Map<string, unknown>>; resolver: EntryResolver };
      const proto = Operations.prototype as unknown as { getObject(id: string): Promise<unknown> };
      proto.getObject = async function (this: Self, id: string) {
        return (await this.read(1, (r) => this.resolver.resolve(r, [id]))).get(id);
      };
    },
  },
};
