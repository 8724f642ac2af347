/** Fuzz: applyDelta on mutated real deltas (from git's packs and our encoder). */
import { it } from 'node:test';
import { fuzzTest } from './fuzz.js';
import { deltaTarget } from './targets.js';

it('fuzz applyDelta', fuzzTest(deltaTarget));
