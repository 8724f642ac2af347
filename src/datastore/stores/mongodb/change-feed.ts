/**
 * Change events from the commit log: every applied commit's ref changes and
 * audit events, in commit order, to every subscriber in any process. The log
 * is read every poll interval from the position where subscribing started;
 * that works on every server (FerretDB has no change streams). A subscriber
 * that falls behind the log's retention misses what was trimmed.
 */
import type { ChangeEvent, ChangeListener } from '../../driver.js';
import type { CommitLog } from './commit-log.js';
import type { LogDoc, RecordMutation } from './collections.js';
import { decodeRef } from './records.js';
import { decodeEvent } from './snapshot.js';

function changesOf(entry: LogDoc): ChangeEvent[] {
  const out: ChangeEvent[] = [];
  for (const m of entry.muts) {
    if (m.c === 'e') out.push({ kind: 'audit', event: decodeEvent(m.doc) });
    else if (m.c === 'r') {
      const r = m as RecordMutation;
      out.push({ kind: 'ref', repositoryId: r.g, name: r.k, old: r.old ?? null, new: r.v === null ? null : decodeRef(r.k, r.v).target });
    }
  }
  return out;
}

export async function subscribeToLog(log: CommitLog, listener: ChangeListener, pollMs: number): Promise<() => Promise<void>> {
  let position = await log.snapshot();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const poll = async () => {
    try {
      for (;;) {
        const entries = await log.entriesAfter(position);
        for (const entry of entries) {
          if (stopped) return;
          position = entry._id;
          for (const change of changesOf(entry)) listener(change);
        }
        if (entries.length < 256) break;
      }
    } catch {
      // A failed poll (server briefly away) is retried at the next tick from the same position.
    }
  };
  const tick = () => {
    running = poll().finally(() => {
      if (!stopped) timer = setTimeout(tick, pollMs);
    });
  };
  timer = setTimeout(tick, pollMs);
  return async () => {
    stopped = true;
    clearTimeout(timer);
    await running;
  };
}
