/**
 * The CQL session: one cassandra-driver Client (token-aware over DC-aware
 * round robin, so a statement goes to a replica of its partition), every
 * statement prepared, the configured consistency on reads and writes and the
 * serial consistency on lightweight transactions; driver errors as store errors.
 */
import cassandra from 'cassandra-driver';
import { ConnectionError, DataStoreError } from '../../errors.js';
import { describe, type ScyllaSettings } from './settings.js';

export type Row = cassandra.types.Row;
export type Params = unknown[];
export interface Statement {
  query: string;
  params: Params;
}

const { consistencies, responseErrorCodes } = cassandra.types;

const CONSISTENCY: Record<string, number> = {
  one: consistencies.one,
  two: consistencies.two,
  three: consistencies.three,
  quorum: consistencies.quorum,
  all: consistencies.all,
  local_quorum: consistencies.localQuorum,
  each_quorum: consistencies.eachQuorum,
  local_one: consistencies.localOne,
  serial: consistencies.serial,
  local_serial: consistencies.localSerial,
};

/** Replica acknowledgements a consistency level waits for, given a replication factor. */
export function acksFor(consistency: string, rf: number): number {
  switch (consistency) {
    case 'one':
    case 'local_one':
      return 1;
    case 'two':
      return 2;
    case 'three':
      return 3;
    case 'all':
      return rf;
    default:
      return Math.floor(rf / 2) + 1;
  }
}

/** An error whose write may or may not have been applied (timeouts, lost connections). */
export class UncertainWriteError extends ConnectionError {}

export class Session {
  readonly client: cassandra.Client;
  private readonly consistency: number;
  private readonly serial: number;

  constructor(readonly settings: ScyllaSettings) {
    const { loadBalancing } = cassandra.policies;
    this.consistency = CONSISTENCY[settings.consistency];
    this.serial = CONSISTENCY[settings.serialConsistency];
    this.client = new cassandra.Client({
      contactPoints: settings.contactPoints,
      localDataCenter: settings.localDataCenter,
      credentials: settings.username ? { username: settings.username, password: settings.password ?? '' } : undefined,
      policies: { loadBalancing: new loadBalancing.TokenAwarePolicy(new loadBalancing.DCAwareRoundRobinPolicy(settings.localDataCenter)) },
      socketOptions: { connectTimeout: settings.connectTimeoutMs, readTimeout: settings.requestTimeoutMs },
      queryOptions: { consistency: this.consistency, serialConsistency: this.serial, prepare: true },
    });
  }

  async connect(): Promise<void> {
    try {
      await this.client.connect();
    } catch (err) {
      await this.client.shutdown().catch(() => undefined);
      throw this.translate(err, false);
    }
  }

  shutdown(): Promise<void> {
    return this.client.shutdown();
  }

  /** A read or an idempotent write (the driver may retry it on another node). */
  async run(query: string, params: Params = [], options: cassandra.QueryOptions = {}): Promise<cassandra.types.ResultSet> {
    try {
      return await this.client.execute(query, params, { prepare: true, isIdempotent: true, ...options });
    } catch (err) {
      throw this.translate(err, true);
    }
  }

  /** A lightweight transaction: one conditional statement, or a conditional batch on one partition. */
  async lwt(statements: Statement[]): Promise<{ applied: boolean; rows: Row[] }> {
    try {
      const result =
        statements.length === 1
          ? await this.client.execute(statements[0].query, statements[0].params, { prepare: true, isIdempotent: false })
          : await this.client.batch(statements, { prepare: true, logged: true, isIdempotent: false });
      return { applied: result.wasApplied(), rows: result.rows ?? [] };
    } catch (err) {
      throw this.translate(err, true);
    }
  }

  /** Unconditional statements applied together (a logged batch: all eventually apply, or none). */
  async batch(statements: Statement[]): Promise<void> {
    if (statements.length === 0) return;
    try {
      if (statements.length === 1) await this.client.execute(statements[0].query, statements[0].params, { prepare: true, isIdempotent: true });
      else await this.client.batch(statements, { prepare: true, logged: true, isIdempotent: true });
    } catch (err) {
      throw this.translate(err, true);
    }
  }

  /** Every row of a query, page by page with the driver's paging state; stop early by returning false. */
  async eachPage(query: string, params: Params, fetchSize: number, onPage: (rows: Row[]) => boolean | void, options: cassandra.QueryOptions = {}): Promise<void> {
    let pageState: string | undefined;
    for (;;) {
      const result = await this.run(query, params, { ...options, fetchSize, pageState });
      if (onPage(result.rows) === false || !result.pageState) return;
      pageState = result.pageState;
    }
  }

  /** Driver errors as store errors; `inFlight` when a statement may have reached the server. */
  translate(err: unknown, inFlight: boolean): unknown {
    if (err instanceof DataStoreError || !(err instanceof Error)) return err;
    const where = describe(this.settings);
    if (err instanceof cassandra.errors.NoHostAvailableError) {
      const inner = Object.entries((err.innerErrors ?? {}) as Record<string, Error>).map(([host, e]) => `${host}: ${e.message}`);
      return new ConnectionError(`cannot reach ${where} (${inner.join('; ') || err.message}). Check that the nodes are running and that local_dc names their data centre`, {}, { cause: err });
    }
    if (err instanceof cassandra.errors.AuthenticationError) {
      return new ConnectionError(`${where} refused the credentials: ${err.message}. Check the user and password in the URI`, {}, { cause: err });
    }
    const code = (err as { code?: number }).code;
    // A connection that closed under a request in flight (a node killed mid-request).
    const lost = !(err instanceof cassandra.errors.ResponseError) && /socket|closed|ECONNRESET|EPIPE|connection/i.test(err.message);
    const uncertain =
      lost ||
      err instanceof cassandra.errors.OperationTimedOutError ||
      code === responseErrorCodes.writeTimeout ||
      code === responseErrorCodes.writeFailure ||
      code === responseErrorCodes.readTimeout ||
      code === responseErrorCodes.readFailure ||
      code === responseErrorCodes.overloaded;
    if (uncertain || code === responseErrorCodes.unavailableException) {
      const outcome = uncertain && inFlight ? 'a write in flight may or may not have applied, so re-read before retrying' : 'nothing was applied';
      return new UncertainWriteError(`${where} did not answer in time or has too few replicas up (${err.message}); ${outcome}`, { cqlCode: code }, { cause: err });
    }
    return new DataStoreError('INTERNAL', `CQL error from ${where}: ${err.message}`, { cqlCode: code }, { cause: err });
  }
}
