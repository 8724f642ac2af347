/**
 * An engine worker thread: opens the server's store itself, then runs the
 * protocol engine for each job the pool sends, its request body and answer
 * streamed over the job's ports. Several jobs run at once (their store I/O
 * interleaves). A push's audit event goes in its ref update's write here;
 * the rest a job leaves behind (metrics, the event of a push that moved no
 * ref) is recorded by the main thread from the result.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { createStore } from '../../datastore/builtin.js';
import type { DataStore } from '../../datastore/store.js';
import { serveReceivePack, serveUploadPack, type ProtocolSession } from '../../git/protocol/index.js';
import { statusOf } from '../http-error.js';
import type { EngineJob, EngineWorkerData, FromWorker, JobTrailer, ToWorker } from './messages.js';
import { PortSender, portWritable, receiveChunks, type Received } from './port-stream.js';

const data = workerData as EngineWorkerData;
const port = parentPort!;
const running = new Set<Promise<void>>();

async function runJob(store: DataStore, job: EngineJob, inputPort: MessagePort, outputPort: MessagePort): Promise<void> {
  const sender = new PortSender(outputPort);
  const output = portWritable(sender);
  const received: Received = {};
  const input = receiveChunks(inputPort, received);
  const session: ProtocolSession = {
    store,
    repo: job.repo,
    access: job.access,
    limits: data.limits,
    tmpDir: data.tmpDir,
    packCache: data.packCache,
    cloneLists: data.cloneLists,
    describeError: (err) => statusOf(err).message,
    pushEvent: job.pushEvent,
  };
  const transport = { stateless: job.stateless, version: job.version, head: () => received.head };
  let outcome: { result: unknown } | { error: unknown };
  try {
    const result = job.service === 'upload-pack' ? await serveUploadPack(session, input, output, transport) : await serveReceivePack(session, input, output, transport);
    outcome = { result };
  } catch (err) {
    outcome = { error: err };
  }
  // Every chunk the engine wrote goes out before the trailer.
  if (!output.destroyed) {
    await new Promise<void>((resolve) => {
      output.once('close', resolve);
      output.once('error', () => undefined);
      output.end();
    });
  }
  // A request body the engine left unread: its sender stops.
  void input.return(undefined);
  if ('error' in outcome) sender.fail(outcome.error);
  else sender.end({ result: outcome.result } satisfies JobTrailer);
}

async function main(): Promise<void> {
  let store: DataStore;
  try {
    store = await createStore(data.datastore);
  } catch (err) {
    port.postMessage({ type: 'fatal', message: (err as Error).message ?? String(err) } satisfies FromWorker);
    return;
  }
  port.on('message', (m: ToWorker) => {
    if (m.type === 'close') {
      port.removeAllListeners('message');
      void Promise.allSettled([...running]).then(async () => {
        await store.close().catch(() => undefined);
        port.close();
      });
      return;
    }
    const { input, output, type: _type, ...job } = m;
    const done = runJob(store, job, input, output).finally(() => running.delete(done));
    running.add(done);
  });
  port.postMessage({ type: 'ready' } satisfies FromWorker);
}

void main();
