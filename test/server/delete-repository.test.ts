/** Deleting a repository through the API also removes what govc keeps beside it: its commit index. */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { withStore } from '../support/with-store.js';
import { api, runGovc, startGovc } from '../../support/govc.js';
import { gitEnv } from '../../support/git.js';
import { makeRepo } from '../support/server.js';
import { tempDir } from '../../support/temp-dir.js';

const tmp = tempDir();
after(() => tmp.remove());

async function indexKeys(uri: string): Promise<number> {
  return withStore(uri, async (store) => {
    let n = 0;
    for await (const _ of store.listConfig('git/commit-index/')) n++;
    return n;
  });
}

it('drops the commit index of a repository deleted through the REST API', async () => {
  const source = join(tmp.path, 'source');
  const uri = `sqlite://${join(tmp.path, 'govc.db')}`;
  const env = gitEnv(tmp.path);
  mkdirSync(source);
  await makeRepo(source, env, 4);
  const imported = await runGovc(['repo', 'import', source, '--store', uri, '--name', 'indexed']);
  assert.equal(imported.code, 0, imported.stderr);
  assert.ok((await indexKeys(uri)) > 0, 'import built a commit index');

  const govc = await startGovc(['--store', uri, '--init-admin', 'root']);
  try {
    const r = await api(govc.url, 'DELETE', '/api/v1/repositories/indexed', { token: govc.adminToken });
    assert.equal(r.status, 204);
  } finally {
    await govc.stop();
  }
  assert.equal(await indexKeys(uri), 0);
});
