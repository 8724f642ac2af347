/**
 * A native transaction: one pooled client held from BEGIN to COMMIT, at the
 * isolation level asked for. Reads and writes go through that client. Each
 * write() runs under a savepoint, so a failing write leaves the transaction
 * as it was (all-or-nothing per call, like the store's write()).
 * Change notices are sent inside and delivered by PostgreSQL at commit.
 */
import type { PoolClient } from 'pg';
import type { DriverTransaction, WriteOp } from '../../driver.js';
import type { CommitIndexOp } from '../../commit-index/types.js';
import { ClosedError, InvalidArgumentError } from '../../errors.js';
import type { IsolationLevel, TransactionOptions } from '../../types.js';
import type { StoreContext } from './context.js';
import { executorFor, type Executor } from './executor.js';
import { sendNotices } from './notices.js';
import { PgReader } from './reader.js';
import { OpWriter } from './writer.js';

const ISOLATION_SQL: Record<IsolationLevel, string> = {
  'read-committed': 'READ COMMITTED',
  'repeatable-read': 'REPEATABLE READ',
  serializable: 'SERIALIZABLE',
};

export function beginStatement(options: Required<TransactionOptions>): string {
  return `BEGIN ISOLATION LEVEL ${ISOLATION_SQL[options.isolation]}${options.readOnly ? ' READ ONLY' : ''}`;
}

export class PgTransaction extends PgReader implements DriverTransaction {
  private state: 'active' | 'done' = 'active';

  private constructor(
    private readonly client: PoolClient,
    exec: Executor,
    private readonly ctx: StoreContext,
    private readonly readOnly: boolean,
    private readonly onEnd: (tx: PgTransaction) => void,
  ) {
    super(exec, ctx.dialect.copy);
  }

  static async begin(client: PoolClient, ctx: StoreContext, options: Required<TransactionOptions>, onEnd: (tx: PgTransaction) => void): Promise<PgTransaction> {
    try {
      await client.query(beginStatement(options));
    } catch (err) {
      client.release(true);
      throw ctx.mapError(err);
    }
    return new PgTransaction(client, executorFor(client, ctx.mapError), ctx, options.readOnly, onEnd);
  }

  get isActive(): boolean {
    return this.state === 'active';
  }

  private check(): void {
    if (this.state !== 'active') throw new ClosedError('transaction has already ended');
  }

  async write(ops: Array<WriteOp | CommitIndexOp>): Promise<void> {
    this.check();
    if (this.readOnly) throw new InvalidArgumentError('this transaction is read-only; begin one without readOnly to write');
    await this.exec.query('SAVEPOINT govc_write');
    try {
      const writer = new OpWriter(this.client, this.exec, this.ctx.dialect, this.ctx.sql, this.ctx.maxObjectSize);
      await writer.apply(ops);
      if (this.ctx.dialect.notifications) await sendNotices(this.exec, this.ctx.channel, writer.notices);
      await this.exec.query('RELEASE SAVEPOINT govc_write');
    } catch (err) {
      await this.exec.query('ROLLBACK TO SAVEPOINT govc_write').catch(() => undefined);
      throw err;
    }
  }

  async commit(): Promise<void> {
    this.check();
    await this.end('COMMIT');
  }

  async rollback(): Promise<void> {
    if (this.state !== 'active') return;
    await this.end('ROLLBACK');
  }

  private async end(statement: 'COMMIT' | 'ROLLBACK'): Promise<void> {
    this.state = 'done';
    this.onEnd(this);
    let broken: unknown;
    try {
      await this.client.query(statement);
    } catch (err) {
      broken = err;
      if (statement === 'COMMIT') await this.client.query('ROLLBACK').catch(() => undefined);
    } finally {
      // A client whose connection failed is destroyed instead of returned to the pool.
      this.client.release(broken instanceof Error && !('code' in broken && typeof broken.code === 'string' && /^[0-9A-Z]{5}$/.test(broken.code)));
    }
    if (broken) throw this.ctx.mapError(broken);
  }
}
