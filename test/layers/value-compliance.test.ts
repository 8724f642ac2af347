/**
 * The compliance suite through compression and encryption, alone over
 * memory (every value at least a byte compressed, so the codec sees every
 * record) and stacked as the README shows over SQLite.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { describeCompliance } from '../compliance/suite.js';
import { LAYERED_SIZES } from './sizes.js';

const root = mkdtempSync(join(tmpdir(), 'govc-value-compliance-'));
after(() => rmSync(root, { recursive: true, force: true }));
const keyFile = join(root, 'key');
writeFileSync(keyFile, `k1:${randomBytes(32).toString('base64')}\n`);
let n = 0;

describeCompliance('memory + gzip compression', {
  ...LAYERED_SIZES,
  freshConfig: async () => 'memory://?compression.type=gzip&compression.threshold=1',
});

describeCompliance('memory + encryption', {
  ...LAYERED_SIZES,
  freshConfig: async () => ({ type: 'memory', encryption: { type: 'aes-256-gcm', options: { key_file: keyFile } } }) as never,
});

describeCompliance('sqlite + memory cache + brotli + encryption', {
  ...LAYERED_SIZES,
  freshConfig: async () => ({
    type: 'sqlite',
    connection: join(root, `db-${++n}.db`),
    cache: { type: 'memory', options: { size: '8MB', ttl: '1s' } },
    compression: { type: 'brotli', options: { level: 4, threshold: 64 } },
    encryption: { type: 'aes-256-gcm', options: { key_file: keyFile } },
  }) as never,
});
