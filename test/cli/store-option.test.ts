/**
 * How every govc command picks its store (src/cli/store-option.ts): --store,
 * else -c's datastore: block, else $GOVC_STORE, else the default; --store
 * with a config that names a store is refused. Unit cases for the precedence,
 * then the built CLI in child processes for each source.
 */
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DEFAULT_STORE, resolveStore, storeFromFlags } from '../../src/cli/store-option.js';
import { ConfigError } from '../../src/datastore/errors.js';
import { runGovc } from '../../support/govc.js';
import { tempDir } from '../../support/temp-dir.js';

const tmp = tempDir('govc-store-option-');
after(() => tmp.remove());
const sqliteConfig = join(tmp.path, 'sqlite.yaml');
writeFileSync(sqliteConfig, `datastore: {type: sqlite, connection: ${JSON.stringify(join(tmp.path, 'from-config.db'))}}\n`);
const serverOnly = join(tmp.path, 'server-only.yaml');
writeFileSync(serverOnly, 'server: {port: 0}\n');

/** The environment without $GOVC_STORE, plus `extra`. */
function env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const out = { ...process.env, ...extra };
  if (!('GOVC_STORE' in extra)) delete out.GOVC_STORE;
  return out;
}

describe('store precedence', () => {
  it('takes --store first, then the config, then $GOVC_STORE, then the default', () => {
    assert.deepEqual(resolveStore({ store: 'memory://' }, undefined, { GOVC_STORE: 'sqlite://x.db' }), { datastore: 'memory://', source: '--store', label: 'memory://' });
    const fromFile = { type: 'memory' } as never;
    assert.equal(resolveStore({ config: 'c.yaml' }, fromFile, { GOVC_STORE: 'sqlite://x.db' }).source, '--config');
    assert.deepEqual(resolveStore({}, undefined, { GOVC_STORE: 'sqlite://x.db' }), { datastore: 'sqlite://x.db', source: '$GOVC_STORE', label: 'sqlite://x.db' });
    assert.deepEqual(resolveStore({}, undefined, {}), { datastore: DEFAULT_STORE, source: 'default', label: DEFAULT_STORE });
    assert.equal(resolveStore({}, undefined, { GOVC_STORE: '' }).source, 'default', 'an empty $GOVC_STORE is unset');
    // a config file without a datastore: block leaves the choice to the next source
    assert.equal(resolveStore({ config: serverOnly }, undefined, { GOVC_STORE: 'memory://' }).source, '$GOVC_STORE');
  });

  it('refuses --store together with a config that names a store, naming both', () => {
    assert.throws(
      () => resolveStore({ store: 'memory://', config: 'c.yaml' }, { type: 'memory' } as never, {}),
      (e: Error) => e instanceof ConfigError && /--store/.test(e.message) && /c\.yaml/.test(e.message) && /give one of them/.test(e.message),
    );
  });

  it('reads the datastore: block of a config file, and says when it has none', () => {
    assert.equal(storeFromFlags({ config: sqliteConfig }).source, '--config');
    assert.throws(() => storeFromFlags({ config: serverOnly }), (e: Error) => e instanceof ConfigError && /has no datastore: block/.test(e.message));
    assert.throws(() => storeFromFlags({ config: join(tmp.path, 'missing.yaml') }), (e: Error) => e instanceof ConfigError && /cannot read config file/.test(e.message));
  });
});

describe('govc commands pick the store the same way', () => {
  const check = async (args: string[], extra?: NodeJS.ProcessEnv, cwd = tmp.path) => {
    const r = await runGovc(['datastore', 'check', '--json', ...args], { cwd, env: env(extra) });
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as { store: string; uri: string };
  };

  it('datastore check: --store, -c, $GOVC_STORE and the default', async () => {
    assert.equal((await check(['--store', 'memory://'], { GOVC_STORE: 'sqlite://./never.db' })).store, 'memory');
    assert.equal(existsSync(join(tmp.path, 'never.db')), false, '$GOVC_STORE is not read when --store is given');
    assert.equal((await check(['-c', sqliteConfig])).store, 'sqlite');
    assert.equal(existsSync(join(tmp.path, 'from-config.db')), true);
    assert.equal((await check([], { GOVC_STORE: 'memory://' })).store, 'memory');
    const home = tempDir('govc-store-default-');
    try {
      const r = await check([], {}, home.path);
      assert.equal(r.uri, DEFAULT_STORE);
      assert.equal(existsSync(join(home.path, 'data', 'govc.db')), true, 'the default store is created under ./data');
    } finally {
      home.remove();
    }
  });

  it('repo commands read -c and $GOVC_STORE too', async () => {
    const viaConfig = await runGovc(['repo', 'stats', 'nothing-here', '-c', sqliteConfig], { cwd: tmp.path, env: env() });
    assert.equal(viaConfig.code, 1);
    assert.match(viaConfig.stderr, /nothing-here/);
    const viaEnv = await runGovc(['repo', 'branch', 'list', 'nothing-here'], { cwd: tmp.path, env: env({ GOVC_STORE: 'memory://' }) });
    assert.equal(viaEnv.code, 1);
    assert.match(viaEnv.stderr, /nothing-here/);
  });

  it('serve, datastore and repo commands refuse --store with a config that names a store', async () => {
    for (const args of [['serve'], ['datastore', 'check'], ['repo', 'log', 'x']]) {
      const r = await runGovc([...args, '--store', 'memory://', '-c', sqliteConfig], { cwd: tmp.path, env: env() });
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.stdout}`);
      assert.match(r.stderr, /both --store and the datastore: block of .*sqlite\.yaml name a store; give one of them .*\[CONFIG\]/, args.join(' '));
    }
  });

  it('documents the precedence in --help', async () => {
    for (const args of [['serve'], ['datastore', 'gc'], ['datastore', 'rotate-key'], ['repo', 'branch', 'list']]) {
      const r = await runGovc([...args, '--help'], { env: env() });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /-s, --store <uri>/, args.join(' '));
      assert.match(r.stdout, /-c, --config <file>/, args.join(' '));
      assert.match(r.stdout, /Store: --store <uri>, else the datastore: block of -c\/--config <file>, else \$GOVC_STORE, else sqlite:\/\/\.\/data\/govc\.db/, args.join(' '));
    }
  });
});
