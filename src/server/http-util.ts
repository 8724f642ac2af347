/** Small helpers for node:http: JSON in and out, request bodies (gzip too), query parameters. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import { badRequest, HttpError } from './http-error.js';

const MAX_JSON_BYTES = 1 << 20;

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, null, 2) + '\n';
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}

export function sendText(res: ServerResponse, status: number, text: string, contentType = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** The request body as a stream, decompressed when git sent it gzipped. */
export function bodyStream(req: IncomingMessage): Readable {
  const encoding = (req.headers['content-encoding'] ?? '').toLowerCase();
  if (encoding === 'gzip' || encoding === 'x-gzip') return req.pipe(createGunzip());
  if (encoding && encoding !== 'identity') throw new HttpError(415, `unsupported content-encoding ${encoding}`);
  return req;
}

export async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of bodyStream(req)) {
    size += (chunk as Buffer).length;
    if (size > MAX_JSON_BYTES) throw new HttpError(413, `JSON body is over ${MAX_JSON_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw badRequest('request body is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw badRequest('request body must be a JSON object');
  return parsed as Record<string, unknown>;
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
