/** Hand-made packs for tests that need entries git itself would never send (foreign delta bases, bad objects). */
import { createHash } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import { hashObject } from '../src/datastore/hash.js';
import { pushVarint } from '../src/datastore/objects/varint.js';
import type { ObjectType } from '../src/datastore/types.js';
import { encodeEntryHeader, encodeRefDeltaHeader } from '../src/git/pack/entry-header.js';

export type PackEntry = { type: ObjectType; data: Buffer } | { refDelta: string; delta: Buffer };

/** A base-128 varint's bytes (delta sizes). */
export function varint(n: number): number[] {
  const out: number[] = [];
  pushVarint(out, n);
  return out;
}

/** A version 2 pack of these entries, with its trailing checksum. */
export function buildPack(entries: PackEntry[]): Buffer {
  const head = Buffer.alloc(12);
  head.write('PACK', 0, 'latin1');
  head.writeUInt32BE(2, 4);
  head.writeUInt32BE(entries.length, 8);
  const parts: Buffer[] = [head];
  for (const e of entries) {
    if ('refDelta' in e) parts.push(encodeRefDeltaHeader(e.delta.length, e.refDelta), deflateSync(e.delta));
    else parts.push(encodeEntryHeader(e.type, e.data.length), deflateSync(e.data));
  }
  const body = Buffer.concat(parts);
  return Buffer.concat([body, createHash('sha1').update(body).digest()]);
}

/** A delta that copies `length` bytes of a base of `baseSize` bytes from offset 0, then inserts `suffix`. */
export function copyDelta(baseSize: number, length: number, suffix = Buffer.alloc(0)): Buffer {
  const copy: number[] = [];
  if (length > 0) {
    let op = 0x80;
    const sizeBytes: number[] = [];
    for (let i = 0; i < 3; i++) {
      const b = (length >> (8 * i)) & 0xff;
      if (b) {
        op |= 0x10 << i;
        sizeBytes.push(b);
      }
    }
    copy.push(op, ...sizeBytes);
  }
  const inserts: number[] = [];
  for (let i = 0; i < suffix.length; i += 127) {
    const chunk = suffix.subarray(i, i + 127);
    inserts.push(chunk.length, ...chunk);
  }
  return Buffer.from([...varint(baseSize), ...varint(length + suffix.length), ...copy, ...inserts]);
}

/** A tree with one entry per [mode, name, id], in the order given (sorting is the caller's business). */
export function treeBytes(entries: Array<[string, string, string]>): Buffer {
  return Buffer.concat(entries.map(([mode, name, id]) => Buffer.concat([Buffer.from(`${mode} ${name}\0`), Buffer.from(id, 'hex')])));
}

export function commitBytes(tree: string, parents: string[] = [], message = 'test\n'): Buffer {
  const who = 'Test <test@example.com> 1700000000 +0000';
  return Buffer.from(`tree ${tree}\n${parents.map((p) => `parent ${p}\n`).join('')}author ${who}\ncommitter ${who}\n\n${message}`);
}

export function objectId(type: ObjectType, data: Buffer): string {
  return hashObject(type, data, 'sha1');
}

/** A pkt-line. */
export function pktLine(text: string): Buffer<ArrayBuffer> {
  const body = Buffer.from(text);
  return Buffer.concat([Buffer.from((body.length + 4).toString(16).padStart(4, '0')), body]);
}

/** A receive-pack request body: one command, then the pack. */
export function pushBody(old: string, next: string, ref: string, pack: Buffer, caps = 'report-status'): Buffer<ArrayBuffer> {
  return Buffer.concat([pktLine(`${old} ${next} ${ref}\0${caps}\n`), Buffer.from('0000'), pack]);
}
