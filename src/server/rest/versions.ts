/**
 * Records' versions as HTTP entity tags: GET and PATCH answer `ETag: "<version>"`,
 * and a PATCH with `If-Match` applies only to that version (412 otherwise).
 */
import type { RequestContext } from '../context.js';
import { HttpError } from '../http-error.js';

export function versionTag(version: number): string {
  return `"${version}"`;
}

/** The version an If-Match header names, or undefined when there is none (or `*`). */
export function ifMatchVersion(ctx: RequestContext): number | undefined {
  const header = ctx.req.headers['if-match'];
  if (header === undefined || header.trim() === '*') return undefined;
  const m = /^\s*(?:W\/)?"([1-9][0-9]{0,15})"\s*$/.exec(header);
  if (!m) throw new HttpError(400, `If-Match must be one entity tag as sent in ETag, like "3"; got ${header}`, 'INVALID_ARGUMENT');
  return Number(m[1]);
}
