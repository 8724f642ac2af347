/** Fuzz: PktReader on mutated request bodies, split into chunks at random points. */
import { it } from 'node:test';
import { fuzzTest } from './fuzz.js';
import { pktLineTarget } from './targets.js';

it('fuzz PktReader', fuzzTest(pktLineTarget));
