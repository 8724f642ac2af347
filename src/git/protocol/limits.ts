/**
 * The limits the protocol engine enforces, and the words of a refusal. The
 * server maps its configuration (YAML `server.limits`) onto them and names
 * its settings, so a refusal tells an operator what to raise.
 */

export interface ProtocolLimits {
  /** Bytes of one object (inflated) in a push. */
  maxObjectSize: number;
  /** Ref update commands in one push. */
  maxCommands: number;
  /** `want` lines in one fetch request. */
  maxWants: number;
  /** `have` lines in one fetch request (stateless clients resend earlier rounds' haves). */
  maxHaves: number;
  /** Bytes of objects one push may add. */
  maxRepositorySize: number;
  /** The setting that raises each limit, as its operator writes it; the field name otherwise. */
  settings?: Partial<Record<LimitName, string>>;
}

export type LimitName = Exclude<keyof ProtocolLimits, 'settings'>;

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;

export const DEFAULT_PROTOCOL_LIMITS: Readonly<ProtocolLimits> = Object.freeze({
  maxObjectSize: 100 * MiB,
  maxCommands: 10_000,
  maxWants: 50_000,
  maxHaves: 50_000,
  maxRepositorySize: 10 * GiB,
});

const SIZES: readonly LimitName[] = ['maxObjectSize', 'maxRepositorySize'];

/** "2 GiB", "1 MiB", "1000 bytes": limits in messages read as they were likely configured. */
export function formatBytes(n: number): string {
  for (const [unit, size] of [['GiB', GiB], ['MiB', MiB], ['KiB', 1024]] as const) {
    if (n >= size && n % size === 0) return `${n / size} ${unit}`;
  }
  return `${n} bytes`;
}

export function settingOf(limits: ProtocolLimits, field: LimitName): string {
  return limits.settings?.[field] ?? field;
}

/** The message of a refusal: what was too large, the limit, and the setting that raises it. */
export function limitMessage(what: string, field: LimitName, limits: ProtocolLimits): string {
  const limit = limits[field];
  const shown = SIZES.includes(field) ? formatBytes(limit) : String(limit);
  return `${what} is over the server's limit of ${shown} (${settingOf(limits, field)})`;
}
