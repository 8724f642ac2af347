/** Fuzz: store URIs, the store YAML loader and the server YAML: ConfigError or a result, nothing else. */
import { describe, it } from 'node:test';
import { fuzzTest } from './fuzz.js';
import { serverYamlTarget, storeUriTarget, storeYamlTarget } from './targets.js';

// yaml reports odd but valid documents (unknown tags, ambiguous aliases) as process warnings;
// thousands of them would bury the test output.
process.removeAllListeners('warning');

describe('fuzz config', () => {
  it('parseStoreUri', fuzzTest(storeUriTarget));
  it('parseStoreYaml', fuzzTest(storeYamlTarget));
  it('parseServerYaml', fuzzTest(serverYamlTarget));
});
