/** Small helpers for node:http: JSON in and out, request bodies (gzip too) within limits, query parameters. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Transform, type TransformCallback } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { badRequest, HttpError } from './http-error.js';

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body, null, 2) + '\n';
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(text);
}

export function sendText(res: ServerResponse, status: number, text: string, contentType = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** A path parameter, %-decoded; a malformed escape is the client's mistake, not a server error. */
export function decodeParam(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw badRequest(`malformed %-escape in the path segment ${JSON.stringify(raw)}: every % must start a UTF-8 escape such as %2F`);
  }
}

/** How many bytes a body may have (after decompression), and what to say when it has more. */
export interface BodyLimit {
  bytes: number;
  /** Names the limit and its setting, e.g. from limitMessage(). */
  message: string;
}

/** How many leading bytes of a body are kept as its head, so a git error can be framed as the client asked (side-band or not). */
const HEAD_BYTES = 4096;

/** A body's head after `chunk`: `head` extended by the start of `chunk`, up to HEAD_BYTES. */
export function extendHead(head: Buffer | undefined, chunk: Buffer): Buffer {
  const kept = head?.length ?? 0;
  if (head && kept >= HEAD_BYTES) return head;
  return head ? Buffer.concat([head, chunk.subarray(0, HEAD_BYTES - kept)]) : Buffer.from(chunk.subarray(0, HEAD_BYTES));
}

/**
 * Passes a request body through, counting its bytes as they arrive, and
 * fails the stream with 413 as soon as it has more than its limit, with 408
 * when the client sends nothing for `idleMs` while we wait for it. Time
 * spent while the reader is busy (data waits in our buffer) is never
 * counted against the client, so a slow handler does not cut a push.
 */
export class BodyGuard extends Transform {
  private received = 0;
  private timer: NodeJS.Timeout | undefined;
  private first: Buffer | undefined;

  constructor(
    private readonly limit: BodyLimit,
    private readonly idleMs: number,
    /** A Content-Length over the limit is refused at the first chunk, once the head (a push's capabilities) is known. */
    private readonly declared = 0,
  ) {
    super();
    this.arm();
  }

  /** The first bytes of the body (up to 4 KiB). */
  get head(): Buffer {
    return this.first ?? Buffer.alloc(0);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.received += chunk.length;
    this.first = extendHead(this.first, chunk);
    if (this.received > this.limit.bytes || this.declared > this.limit.bytes) return done(new HttpError(413, this.limit.message, 'TOO_LARGE'));
    this.arm();
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    clearTimeout(this.timer);
    done();
  }

  override _destroy(err: Error | null, done: (err: Error | null) => void): void {
    clearTimeout(this.timer);
    done(err);
  }

  private arm(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.onIdle(), this.idleMs);
    this.timer.unref();
  }

  private onIdle(): void {
    // Unread data waiting for the reader: the reader is slow, not the client.
    if (this.readableLength > 0) return this.arm();
    const seconds = Math.round(this.idleMs / 100) / 10;
    this.destroy(new HttpError(408, `the request body stalled: nothing arrived for ${seconds} s (server.timeouts.idle)`, 'TIMEOUT'));
  }
}

/**
 * The request body as a guarded stream, gunzipped when the client sent it
 * gzipped; the limit counts decompressed bytes, so a small gzip bomb stops
 * early. A declared Content-Length over the limit is refused at the first chunk.
 */
export function bodyStream(req: IncomingMessage, limit: BodyLimit, idleMs: number): BodyGuard {
  const encoding = (req.headers['content-encoding'] ?? '').toLowerCase();
  const gzip = encoding === 'gzip' || encoding === 'x-gzip';
  if (encoding && !gzip && encoding !== 'identity') throw new HttpError(415, `unsupported content-encoding ${encoding}; send the body plain or gzip`);
  const declared = gzip ? 0 : Number(req.headers['content-length'] ?? 0) || 0;
  const guard = new BodyGuard(limit, idleMs, declared);
  // Not stream.pipeline: it would destroy `req`, and with it the socket the refusal is sent on.
  req.on('error', (err) => guard.destroy(err));
  req.on('close', () => {
    if (!req.complete) guard.destroy(new HttpError(400, 'the client closed the connection before sending the whole body', 'ABORTED'));
  });
  guard.on('error', () => req.unpipe());
  if (!gzip) return req.pipe(guard);
  const gunzip = createGunzip();
  gunzip.on('error', (err) => guard.destroy(badRequest(`request body is not valid gzip: ${err.message}`)));
  guard.on('error', () => gunzip.destroy());
  return req.pipe(gunzip).pipe(guard);
}

export async function readJson(req: IncomingMessage, limit: BodyLimit, idleMs: number): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of bodyStream(req, limit, idleMs)) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw badRequest('request body is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw badRequest('request body must be a JSON object');
  return parsed as Record<string, unknown>;
}

/**
 * A response finished before its request body was read to the end (a
 * refusal, or a handler that stopped reading): drop what the client still
 * sends for a moment, so the answer is not lost in a TCP reset, then close
 * the connection instead of reading the rest, however large.
 */
export function closeAfterUnreadBody(req: IncomingMessage, res: ServerResponse, lingerMs = 2000): void {
  res.once('finish', () => {
    if (req.complete) return;
    req.resume();
    // Once the body has all arrived, the connection may already carry the next request: leave it be.
    setTimeout(() => req.complete || req.socket.destroy(), lingerMs).unref();
  });
}

/** Typed access to query parameters and JSON fields, with clear 400s. */
export class Params {
  constructor(private readonly get: (name: string) => unknown) {}

  static query(url: URL): Params {
    return new Params((n) => url.searchParams.get(n) ?? undefined);
  }

  static body(body: Record<string, unknown>): Params {
    return new Params((n) => body[n]);
  }

  string(name: string): string | undefined {
    const v = this.get(name);
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') throw badRequest(`${name} must be a string`);
    return v;
  }

  requiredString(name: string): string {
    const v = this.string(name);
    if (v === undefined || v === '') throw badRequest(`${name} is required`);
    return v;
  }

  int(name: string): number | undefined {
    const v = this.get(name);
    if (v === undefined || v === null) return undefined;
    const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) throw badRequest(`${name} must be a non-negative integer`);
    return n;
  }

  bool(name: string): boolean | undefined {
    const v = this.get(name);
    if (v === undefined || v === null) return undefined;
    if (v === true || v === 'true') return true;
    if (v === false || v === 'false') return false;
    throw badRequest(`${name} must be true or false`);
  }

  date(name: string): Date | undefined {
    const v = this.string(name);
    if (v === undefined) return undefined;
    const d = new Date(/^\d+$/.test(v) ? Number(v) : v);
    if (Number.isNaN(d.getTime())) throw badRequest(`${name} must be an ISO date or epoch milliseconds`);
    return d;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[]): T | undefined {
    const v = this.string(name);
    if (v === undefined) return undefined;
    if (!allowed.includes(v as T)) throw badRequest(`${name} must be one of ${allowed.join(', ')}`);
    return v as T;
  }
}
