/**
 * The compliance suite: one set of cases every store passes, gated only by
 * the capabilities the store declares. A store's test file calls
 * describeCompliance with a target that makes fresh, empty stores.
 */
import { after, describe } from 'node:test';
import { commitIndexCases } from './cases/commit-index.js';
import { concurrencyCases } from './cases/concurrency.js';
import { entryCases } from './cases/entries.js';
import { metadataCases } from './cases/metadata.js';
import { objectCases } from './cases/objects.js';
import { packCases } from './cases/packs.js';
import { refCases } from './cases/refs.js';
import { recordCases } from './cases/records.js';
import { reliabilityCases } from './cases/reliability.js';
import { scaleCases } from './cases/scale.js';
import { transactionCases } from './cases/transactions.js';
import { makeContext } from './context.js';
import type { ComplianceTarget } from './target.js';

export type { ComplianceTarget } from './target.js';

export function describeCompliance(name: string, target: ComplianceTarget): void {
  const ctx = makeContext(name, target);
  describe(`${name} compliance`, { concurrency: false }, () => {
    after(async () => {
      await target.cleanup?.();
    });
    describe('objects', () => objectCases(ctx));
    describe('object entries', () => entryCases(ctx));
    describe('packs in and out', () => packCases(ctx));
    describe('refs', () => refCases(ctx));
    describe('metadata', () => metadataCases(ctx));
    describe('record versions and cascades', () => recordCases(ctx));
    describe('commit index', () => commitIndexCases(ctx));
    describe('transactions', () => transactionCases(ctx));
    describe('concurrency', () => concurrencyCases(ctx));
    describe('scale', () => scaleCases(ctx));
    describe('reliability', () => reliabilityCases(ctx));
  });
}
