/**
 * Per-request limits of `govc serve` (YAML `server.limits`), with defaults a
 * public server can run with. The HTTP layer enforces the body limits; the
 * git handlers read the rest from `ctx.state.limits`. A refusal names the
 * limit and its setting, so an operator knows what to raise.
 */
import { ConfigError } from '../datastore/errors.js';
import { OptionReader } from '../datastore/options.js';
import { DEFAULT_PROTOCOL_LIMITS, formatBytes, type ProtocolLimits } from '../git/protocol/limits.js';

export { formatBytes };

export interface ServerLimits {
  /** Bytes of a REST (JSON) request body, after decompression. */
  maxJsonBody: number;
  /** Bytes of a git request body after decompression, not counting a push's pack. */
  maxRequestBody: number;
  /** Bytes of the pack one push sends. */
  maxPackSize: number;
  /** Bytes of one object (inflated) in a push. */
  maxObjectSize: number;
  /** Ref update commands in one push. */
  maxCommands: number;
  /** `want` lines in one fetch request. */
  maxWants: number;
  /** `have` lines in one fetch request (stateless clients resend earlier rounds' haves). */
  maxHaves: number;
  /** Bytes a repository may hold after a push (its reachable objects as stored). */
  maxRepositorySize: number;
}

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;

export const DEFAULT_LIMITS: Readonly<ServerLimits> = Object.freeze({
  maxJsonBody: 1 * MiB,
  maxRequestBody: 64 * MiB,
  maxPackSize: 2 * GiB,
  maxObjectSize: DEFAULT_PROTOCOL_LIMITS.maxObjectSize,
  maxCommands: DEFAULT_PROTOCOL_LIMITS.maxCommands,
  maxWants: DEFAULT_PROTOCOL_LIMITS.maxWants,
  maxHaves: DEFAULT_PROTOCOL_LIMITS.maxHaves,
  maxRepositorySize: DEFAULT_PROTOCOL_LIMITS.maxRepositorySize,
});

/** Each camelCase field with its YAML key, for parsing and for messages. */
export const LIMIT_SETTINGS: Readonly<Record<keyof ServerLimits, string>> = Object.freeze({
  maxJsonBody: 'server.limits.max_json_body',
  maxRequestBody: 'server.limits.max_request_body',
  maxPackSize: 'server.limits.max_pack_size',
  maxObjectSize: 'server.limits.max_object_size',
  maxCommands: 'server.limits.max_commands',
  maxWants: 'server.limits.max_wants',
  maxHaves: 'server.limits.max_haves',
  maxRepositorySize: 'server.limits.max_repository_size',
});

const SIZES: Array<keyof ServerLimits> = ['maxJsonBody', 'maxRequestBody', 'maxPackSize', 'maxObjectSize', 'maxRepositorySize'];
const COUNTS: Array<keyof ServerLimits> = ['maxCommands', 'maxWants', 'maxHaves'];

const yamlKey = (field: keyof ServerLimits) => LIMIT_SETTINGS[field].slice('server.limits.'.length);

/** Parses a `server.limits` block: sizes take bytes or "512MB"; counts are positive integers. Unknown keys are refused. */
export function parseLimits(block: Record<string, unknown>): ServerLimits {
  const reader = new OptionReader('server.limits', block);
  const limits = { ...DEFAULT_LIMITS };
  for (const field of SIZES) {
    limits[field] = reader.bytes(yamlKey(field), DEFAULT_LIMITS[field]);
    if (limits[field] < 1) throw new ConfigError(`${LIMIT_SETTINGS[field]} must be at least 1 byte; there is no "unlimited", set a large size instead`, { key: LIMIT_SETTINGS[field] });
  }
  for (const field of COUNTS) limits[field] = reader.int(yamlKey(field), DEFAULT_LIMITS[field], 1);
  reader.done();
  return limits;
}

/** What the protocol engine enforces, named by this server's settings. */
export function protocolLimits(limits: ServerLimits): ProtocolLimits {
  const { maxObjectSize, maxCommands, maxWants, maxHaves, maxRepositorySize } = limits;
  return { maxObjectSize, maxCommands, maxWants, maxHaves, maxRepositorySize, settings: LIMIT_SETTINGS };
}

/** The message of a refusal: what was too large, the limit, and the setting that raises it. */
export function limitMessage(what: string, field: keyof ServerLimits, limit: number): string {
  const shown = SIZES.includes(field) ? formatBytes(limit) : String(limit);
  return `${what} is over the server's limit of ${shown} (${LIMIT_SETTINGS[field]})`;
}
