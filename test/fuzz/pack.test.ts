/** Fuzz: pack entry headers, indexing a pack file, and receiving a pack stream. */
import { describe, it } from 'node:test';
import { fuzzTest } from './fuzz.js';
import { entryHeaderTarget, indexPackTarget, receivePackTarget } from './targets.js';

describe('fuzz packs', () => {
  it('parseEntryHeader', fuzzTest(entryHeaderTarget));
  it('indexPackFile on mutated git packs', fuzzTest(indexPackTarget));
  it('receivePack on mutated git packs', fuzzTest(receivePackTarget));
});
