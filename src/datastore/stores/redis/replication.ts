/** Running a slot's commands in one pipeline and, when asked, WAITing for replicas to hold them. */
import { DataStoreError } from '../../errors.js';
import type { Client, ScriptedPipeline } from './connection.js';
import type { RedisSettings } from './settings.js';

/** A write that applied on the master but was not copied to enough replicas in time. */
export class ReplicationError extends DataStoreError {
  constructor(acked: number, wanted: number, timeoutMs: number) {
    super(
      'CONNECTION',
      `the write applied on the redis master, but only ${acked} of ${wanted} replicas acknowledged it within ${timeoutMs} ms; it may be lost if that master fails. Check the replicas, or lower wait_replicas`,
      { acked, wanted, appliedOnMaster: true },
    );
  }
}

/**
 * Runs commands in one pipeline (one node: every key must share a slot) and,
 * when asked, WAITs on the same connection for replicas to acknowledge them.
 * Returns the commands' results; a command error is thrown.
 */
export async function runOnSlot(
  client: Client,
  settings: RedisSettings,
  build: (p: ScriptedPipeline) => void,
): Promise<unknown[]> {
  const p = client.pipeline() as ScriptedPipeline;
  build(p);
  const wait = settings.waitReplicas;
  if (wait > 0) p.wait(wait, settings.waitTimeoutMs);
  const results = (await p.exec()) ?? [];
  const values: unknown[] = [];
  for (const [err, value] of results) {
    if (err) throw err;
    values.push(value);
  }
  if (wait > 0) {
    const acked = values.pop() as number;
    if (acked < wait) throw new ReplicationError(acked, wait, settings.waitTimeoutMs);
  }
  return values;
}
