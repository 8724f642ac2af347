/**
 * Byte-exact text for git headers and messages: UTF-8 when the bytes are valid
 * UTF-8 (decode then encode gives the same bytes back), latin1 otherwise
 * (always lossless). The parsed object remembers which, so serializing gives
 * the original bytes.
 */
export type TextEncoding = 'utf8' | 'latin1';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function decodeExact(bytes: Uint8Array): { text: string; encoding: TextEncoding } {
  try {
    return { text: strictUtf8.decode(bytes), encoding: 'utf8' };
  } catch {
    return { text: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1'), encoding: 'latin1' };
  }
}

export function encodeText(text: string, encoding: TextEncoding): Buffer {
  return Buffer.from(text, encoding);
}

export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
