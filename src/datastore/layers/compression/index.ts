/**
 * The compression layer: metadata, event details, config values and other
 * non-object values at least `threshold` bytes long are stored compressed
 * (brotli or gzip, node's zlib), when that makes them smaller even after the
 * base64 a text column needs. Object entries are deflated already: they pass
 * unchanged. The first stored byte names the algorithm, so changing it later
 * keeps older values readable.
 */
import { brotliCompressSync, brotliDecompressSync, constants, gunzipSync, gzipSync } from 'node:zlib';
import type { LayerConfig } from '../../config.js';
import type { StoreDriver } from '../../driver.js';
import { ConfigError, IntegrityError } from '../../errors.js';
import type { OptionReader } from '../../options.js';
import { ValueCodec, type ByteTransform } from '../value-codec.js';
import { ValueLayer } from '../value-layer.js';

/** Decompressed values larger than this are refused as corrupt (a bomb), not inflated. */
const MAX_VALUE_BYTES = 256 * 1024 ** 2;

interface Algorithm {
  id: number;
  levels: [number, number, number];
  compress(data: Buffer, level: number): Buffer;
  decompress(data: Buffer): Buffer;
}

const ALGORITHMS: Record<string, Algorithm> = {
  brotli: {
    id: 1,
    levels: [0, 11, 5],
    compress: (data, level) => brotliCompressSync(data, { params: { [constants.BROTLI_PARAM_QUALITY]: level, [constants.BROTLI_PARAM_SIZE_HINT]: data.length } }),
    decompress: (data) => brotliDecompressSync(data, { maxOutputLength: MAX_VALUE_BYTES }),
  },
  gzip: {
    id: 2,
    levels: [1, 9, 6],
    compress: (data, level) => gzipSync(data, { level }),
    decompress: (data) => gunzipSync(data, { maxOutputLength: MAX_VALUE_BYTES }),
  },
};
const BY_ID = new Map(Object.values(ALGORITHMS).map((a) => [a.id, a]));

export class Compression implements ByteTransform {
  readonly tag = 'z';
  readonly objects = false;
  readonly seals = false;

  constructor(
    private readonly algorithm: Algorithm,
    private readonly level: number,
    readonly threshold: number,
  ) {}

  encode(plain: Buffer): Buffer | undefined {
    if (plain.length < this.threshold) return undefined;
    const packed = Buffer.concat([Buffer.from([this.algorithm.id]), this.algorithm.compress(plain, this.level)]);
    // Stored as base64 text: keep it only when that is still smaller.
    return Math.ceil(packed.length / 3) * 4 + 2 < plain.length ? packed : undefined;
  }

  decode(stored: Buffer, where: string): Buffer {
    const algorithm = BY_ID.get(stored[0]);
    if (!algorithm) throw new IntegrityError(`${where}: the stored compressed value names no known algorithm (byte ${stored[0]}); it is corrupt`, { where });
    try {
      return algorithm.decompress(stored.subarray(1));
    } catch (err) {
      throw new IntegrityError(`${where}: the stored compressed value does not decompress (${(err as Error).message}); it is corrupt`, { where });
    }
  }

  unmarked(): void {}
}

export function createCompressionLayer(inner: StoreDriver, config: LayerConfig, options: OptionReader): StoreDriver {
  const algorithm = ALGORITHMS[config.type];
  if (!algorithm) {
    const hint = config.type === 'zstd' || config.type === 'snappy' ? ` (${config.type} needs a native module this build does not take; brotli compresses as well at level 3-5)` : '';
    throw new ConfigError(`unknown compression type ${config.type}; use ${Object.keys(ALGORITHMS).join(' or ')}${hint}`, { key: 'compression.type' });
  }
  const [min, max, fallback] = algorithm.levels;
  const codec = new Compression(algorithm, options.int('level', fallback, min, max), options.bytes('threshold', 512));
  return new ValueLayer(inner, new ValueCodec(codec));
}
