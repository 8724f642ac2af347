/**
 * The protocol engine on one stream, as an SSH server runs it: stdin in,
 * stdout out, the advertisement first. git runs this through its `ext::`
 * transport (`ext::node stream-serve.js <store> %S <repo> [version=2]`),
 * which is the conversation git has over SSH, without the SSH. ext:: passes
 * no GIT_PROTOCOL, so the version may come as an argument.
 */
import { createStore } from '../../src/datastore/builtin.js';
import { protocolVersion, serveReceivePack, serveUploadPack } from '../../src/git/protocol/index.js';

const [uri, service, name, version] = process.argv.slice(2);
const store = await createStore(uri);
try {
  const repo = await store.getRepositoryByName(name);
  if (!repo) throw new Error(`no repository ${name}`);
  const session = { store, repo, access: 'admin' as const };
  if (service === 'git-upload-pack') {
    await serveUploadPack(session, process.stdin, process.stdout, { stateless: false, version: protocolVersion(version ?? process.env.GIT_PROTOCOL) });
  } else if (service === 'git-receive-pack') {
    await serveReceivePack(session, process.stdin, process.stdout, { stateless: false });
  } else throw new Error(`unknown service ${service}`);
} catch (err) {
  process.stderr.write(`stream-serve: ${(err as Error).message}\n`);
  process.exitCode = 1;
} finally {
  await store.close();
}
