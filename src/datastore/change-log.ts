/**
 * A durable change log kept by a store (PostgreSQL: a trigger-filled table;
 * Redis: a stream appended by the write script): what changed, by key, in
 * commit order, written in the same transaction as the change. Followers
 * (`govc datastore migrate --incremental`) read it from a position, apply
 * what changed, and acknowledge; the log keeps only what some follower has
 * not acknowledged. Writes are logged only while a follower is registered,
 * so a store nobody follows logs nothing.
 */

import { ConflictError } from './errors.js';

/** A key that changed; the follower reads its current state from the store. */
export type LoggedChange =
  | { kind: 'object'; id: string }
  | { kind: 'repository'; id: string }
  | { kind: 'ref'; repositoryId: string; name: string }
  | { kind: 'user'; id: string }
  | { kind: 'event'; id: string; timestamp: number }
  | { kind: 'config'; key: string }
  /** A row of a repository's commit index (a store that keeps it natively logs these; others log its config keys). */
  | { kind: 'commit'; repositoryId: string; id: string };

export interface ChangeLogPage {
  changes: LoggedChange[];
  /** The position after this page: pass it to the next read, and acknowledge it once applied. */
  position: string;
}

/**
 * The default of the store option `change_log_retention`: a follower not
 * heard of for this long is dropped, and what only it needed is trimmed.
 */
export const DEFAULT_CHANGE_LOG_RETENTION_MS = 7 * 24 * 3600_000;

export interface ChangeLog {
  /** Where the log lives, for messages and the README. */
  readonly changeLogName: string;
  /**
   * Registers (or renews) a follower: from now on every write is logged.
   * Returns the log's head: every write committed after the call returns
   * comes after it, so a full copy made afterwards plus the log from the head
   * misses nothing.
   */
  registerFollower(name: string): Promise<string>;
  /** Changes strictly after `after`, at most about `limit`; undefined when the log was trimmed past `after` (copy in full again). */
  readChanges(after: string, limit: number): Promise<ChangeLogPage | undefined>;
  /** The follower applied everything up to `position`: trims what every follower has applied. */
  acknowledge(name: string, position: string): Promise<void>;
  /** Stops logging for this follower; the log is emptied when it was the last. */
  dropFollower(name: string): Promise<void>;
  /** Drops followers silent longer than the retention and trims what no follower left needs (writes run it: RetentionPasses). */
  enforceRetention(): Promise<void>;
  /** Resolves true once something may have been logged after `after` (a notification, a blocking read), false after `timeoutMs` without. */
  waitForChanges(after: string, timeoutMs: number): Promise<boolean>;
}

/** Drivers that keep a change log offer it here (undefined where their database cannot, e.g. CockroachDB). */
export interface HasChangeLog {
  changeLog(): ChangeLog | undefined;
}

/** The change log of a driver, if it keeps one. */
export function changeLogOf(driver: object): ChangeLog | undefined {
  const d = driver as Partial<HasChangeLog>;
  return typeof d.changeLog === 'function' ? d.changeLog() : undefined;
}

/** The error of a follower whose position the log no longer holds. */
export class ChangeLogTrimmedError extends ConflictError {}

/**
 * Retention enforced by a store's own writes, so a log whose only follower
 * never returns is still trimmed: after a write, a pass runs when the last
 * one is older than a quarter of the retention (at most once a minute), in
 * the background; a failed pass never fails the write (the next one retries).
 */
export class RetentionPasses {
  private last = 0;
  private running: Promise<void> | undefined;

  constructor(
    readonly retentionMs: number,
    private readonly pass: () => Promise<void> | undefined,
  ) {}

  private get intervalMs(): number {
    return Math.min(60_000, this.retentionMs / 4);
  }

  afterWrite(): void {
    const now = Date.now();
    if (this.running || now - this.last < this.intervalMs) return;
    this.last = now;
    this.running = Promise.resolve(this.pass())
      .catch(() => undefined)
      .finally(() => (this.running = undefined));
  }

  /** Waits for a pass in flight (before the store closes). */
  async settle(): Promise<void> {
    await this.running;
  }
}
