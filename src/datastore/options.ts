/**
 * Typed reading of a store's `options` map, shared by every store: each read
 * names its key, unknown keys are refused with the list of known ones, and
 * values from a URI query (always strings) are coerced the same way as YAML.
 */
import { ConfigError } from './errors.js';

const SIZE_UNITS: Record<string, number> = { b: 1, kb: 1024, k: 1024, mb: 1024 ** 2, m: 1024 ** 2, gb: 1024 ** 3, g: 1024 ** 3, tb: 1024 ** 4 };
const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export class OptionReader {
  private readonly used = new Set<string>();

  constructor(
    private readonly storeType: string,
    private readonly options: Record<string, unknown>,
  ) {}

  private raw(key: string): unknown {
    this.used.add(key);
    return this.options[key];
  }

  private fail(key: string, expected: string, got: unknown): never {
    throw new ConfigError(`${this.storeType} option ${key} must be ${expected}; got ${JSON.stringify(got)}`, { key });
  }

  string<T extends string>(key: string, fallback: T, oneOf?: readonly T[]): T;
  string(key: string, fallback?: string): string | undefined;
  string(key: string, fallback?: string, oneOf?: readonly string[]): string | undefined {
    const v = this.raw(key);
    if (v === undefined) return fallback;
    if (typeof v !== 'string' && typeof v !== 'number') this.fail(key, 'a string', v);
    const s = String(v);
    if (oneOf) {
      const match = oneOf.find((o) => o.toLowerCase() === s.toLowerCase());
      if (!match) this.fail(key, `one of ${oneOf.join(', ')}`, v);
      return match;
    }
    return s;
  }

  int(key: string, fallback: number, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): number {
    const v = this.raw(key);
    if (v === undefined) return fallback;
    const n = typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) this.fail(key, `an integer from ${min} to ${max}`, v);
    return n;
  }

  bool(key: string, fallback: boolean): boolean {
    const v = this.raw(key);
    if (v === undefined) return fallback;
    if (typeof v === 'boolean') return v;
    if (v === 'true' || v === '1' || v === 'yes') return true;
    if (v === 'false' || v === '0' || v === 'no') return false;
    return this.fail(key, 'true or false', v);
  }

  /** A byte size: a number, or a string like "512MB", "1GB". */
  bytes(key: string, fallback: number): number {
    const v = this.raw(key);
    if (v === undefined) return fallback;
    if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return v;
    const m = typeof v === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(v) : null;
    const unit = m ? SIZE_UNITS[(m[2] || 'b').toLowerCase()] : undefined;
    if (!m || unit === undefined) return this.fail(key, 'a byte size such as 1048576, "512MB" or "1GB"', v);
    return Math.floor(Number(m[1]) * unit);
  }

  /** A duration in milliseconds: a number, or a string like "100ms", "5s". */
  durationMs(key: string, fallback: number): number {
    const v = this.raw(key);
    if (v === undefined) return fallback;
    if (typeof v === 'number' && v >= 0) return v;
    const m = typeof v === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(v) : null;
    if (!m) return this.fail(key, 'a duration such as 100ms or 5s', v);
    return Number(m[1]) * DURATION_UNITS[m[2] ?? 'ms'];
  }

  /** Call last: refuses keys no read asked for. */
  done(): void {
    const unknown = Object.keys(this.options).filter((k) => !this.used.has(k));
    if (unknown.length > 0) {
      const known = [...this.used].sort().join(', ') || '(none)';
      throw new ConfigError(`unknown ${this.storeType} option ${unknown.join(', ')}; known options: ${known}`, { keys: unknown });
    }
  }
}
