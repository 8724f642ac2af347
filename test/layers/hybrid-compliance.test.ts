/**
 * The compliance suite through hybrid stores: objects and metadata in two
 * SQLite files (YAML), and the plan's production setup — objects in RocksDB,
 * metadata in PostgreSQL, a Redis cache — as a URI.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { describeCompliance } from '../compliance/suite.js';
import { LAYERED_SIZES } from './sizes.js';
import { startStandaloneRedis } from '../../support/redis-servers.js';
import { schemaFactory } from '../stores/fixtures/pg-support.js';

const root = mkdtempSync(join(tmpdir(), 'govc-hybrid-compliance-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

describeCompliance('hybrid sqlite objects + sqlite metadata', {
  ...LAYERED_SIZES,
  async freshConfig() {
    const dir = join(root, `h-${++n}`);
    return { objects: { type: 'sqlite', connection: join(dir, 'objects.db') }, metadata: { type: 'sqlite', connection: join(dir, 'meta.db') } } as never;
  },
});

const redis = await startStandaloneRedis();
after(() => redis.stop());
const schemas = schemaFactory('postgres');

describeCompliance('hybrid rocksdb objects + postgres metadata + redis cache', {
  ...LAYERED_SIZES,
  async freshConfig() {
    const objects = `rocksdb://${join(root, `p-${++n}`, 'objects')}`;
    const metadata = await schemas.freshConfig();
    const q = new URLSearchParams({ objects, metadata, 'cache.type': 'redis', 'cache.connection': redis.url, 'cache.prefix': `c${process.pid}-${n}` });
    return `hybrid://?${q}`;
  },
  cleanup: schemas.cleanup,
});
