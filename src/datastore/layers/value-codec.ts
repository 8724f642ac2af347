/**
 * How a layer that rewrites stored values (compression, encryption) applies
 * its byte transform to the fields of every record, the same for each such
 * layer: what is needed for lookups, filters and ordering (ids, names,
 * emails, actions, timestamps, config keys) passes unchanged; free text and
 * JSON payloads become a marked string or a one-key JSON object.
 */
import type { WriteOp } from '../driver.js';
import { KEYSPACE } from '../keyspace.js';
import type { AuditEvent, JsonObject, ObjectEntry, Repository, User } from '../types.js';

/** Starts a string a layer wrote; stores accept it in text columns (unlike NUL). */
const MARK = '\u0001';
/** A value that began with MARK itself, kept as written (only layers that may leave values as they are). */
const ESCAPED = `${MARK}=`;

export interface ByteTransform {
  /** One character after MARK naming the layer, e.g. z (compression), e (encryption). */
  readonly tag: string;
  /** Whether object entries are transformed too (they are deflated already: never compress them twice). */
  readonly objects: boolean;
  /**
   * Whether values must never be stored as they are (encryption). Such a
   * layer keeps the commit index in config keys, where rows are sealed,
   * rather than in a store's native tables, which hold them in the clear.
   */
  readonly seals: boolean;
  /** The stored form, or undefined to keep the value as it is (too small to pay). `where` names the value. */
  encode(plain: Buffer, where: string): Buffer | undefined;
  decode(stored: Buffer, where: string): Buffer;
  /** A value without this layer's mark: returned as it is, or refused (encryption's INVALID_DATA). */
  unmarked(where: string): void;
}

export class ValueCodec {
  private readonly prefix: string;

  constructor(readonly transform: ByteTransform) {
    this.prefix = MARK + transform.tag;
  }

  /** The bytes this layer stored in a text or JSON field, or undefined when it left the value as it was. */
  storedBytes(value: string | JsonObject): Buffer | undefined {
    if (typeof value === 'string') return value.startsWith(this.prefix) ? Buffer.from(value.slice(this.prefix.length), 'base64') : undefined;
    const keys = Object.keys(value);
    return keys.length === 1 && keys[0] === this.prefix && typeof value[this.prefix] === 'string' ? Buffer.from(value[this.prefix] as string, 'base64') : undefined;
  }

  text(value: string, where: string): string {
    const encoded = this.transform.encode(Buffer.from(value, 'utf8'), where);
    if (encoded) return this.prefix + encoded.toString('base64');
    return value.startsWith(MARK) ? ESCAPED + value : value;
  }

  untext(value: string, where: string): string {
    if (value.startsWith(this.prefix)) return this.transform.decode(Buffer.from(value.slice(this.prefix.length), 'base64'), where).toString('utf8');
    if (value.startsWith(ESCAPED)) return value.slice(ESCAPED.length);
    this.transform.unmarked(where);
    return value;
  }

  json(value: JsonObject, where: string): JsonObject {
    const encoded = this.transform.encode(Buffer.from(JSON.stringify(value)), where);
    if (encoded) return { [this.prefix]: encoded.toString('base64') };
    const keys = Object.keys(value);
    return keys.length === 1 && keys[0].startsWith(MARK) ? { [ESCAPED]: value } : value;
  }

  unjson(value: JsonObject, where: string): JsonObject {
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0] === this.prefix && typeof value[this.prefix] === 'string') {
      return JSON.parse(this.transform.decode(Buffer.from(value[this.prefix] as string, 'base64'), where).toString('utf8')) as JsonObject;
    }
    if (keys.length === 1 && keys[0] === ESCAPED) return value[ESCAPED] as JsonObject;
    this.transform.unmarked(where);
    return value;
  }

  entry(e: ObjectEntry): ObjectEntry {
    if (!this.transform.objects) return e;
    return { ...e, bytes: this.transform.encode(Buffer.from(e.bytes.buffer, e.bytes.byteOffset, e.bytes.byteLength), `object ${e.id}`)! };
  }

  unentry(e: ObjectEntry): ObjectEntry {
    if (!this.transform.objects) return e;
    return { ...e, bytes: this.transform.decode(Buffer.from(e.bytes.buffer, e.bytes.byteOffset, e.bytes.byteLength), `object ${e.id}`) };
  }

  repository(r: Repository, decode = false): Repository {
    const t = (v: string, f: string) => (decode ? this.untext(v, `repository ${r.id} ${f}`) : this.text(v, `repository ${r.id} ${f}`));
    const j = (v: JsonObject) => (decode ? this.unjson(v, `repository ${r.id} metadata`) : this.json(v, `repository ${r.id} metadata`));
    return { ...r, description: t(r.description, 'description'), path: t(r.path, 'path'), metadata: j(r.metadata) };
  }

  user(u: User, decode = false): User {
    const where = `user ${u.id}`;
    return decode
      ? { ...u, displayName: this.untext(u.displayName, `${where} displayName`), metadata: this.unjson(u.metadata, `${where} metadata`) }
      : { ...u, displayName: this.text(u.displayName, `${where} displayName`), metadata: this.json(u.metadata, `${where} metadata`) };
  }

  event(e: AuditEvent, decode = false): AuditEvent {
    const where = `audit event ${e.id} details`;
    return { ...e, details: decode ? this.unjson(e.details, where) : this.json(e.details, where) };
  }

  /** Layer bookkeeping (KEYSPACE.layer) stays as written, so a layer can read it before its keys are known. */
  config(key: string, value: string, decode = false): string {
    if (key.startsWith(KEYSPACE.layer)) return value;
    return decode ? this.untext(value, `config ${key}`) : this.text(value, `config ${key}`);
  }

  ops(ops: WriteOp[]): WriteOp[] {
    return ops.map((op): WriteOp => {
      switch (op.op) {
        case 'putObject':
          return { ...op, entry: this.entry(op.entry) };
        case 'putRepository':
          return { ...op, repository: this.repository(op.repository) };
        case 'putUser':
          return { ...op, user: this.user(op.user) };
        case 'appendEvent':
          return { ...op, event: this.event(op.event) };
        case 'setConfig':
          return op.value === null ? op : { ...op, value: this.config(op.key, op.value) };
        default:
          return op;
      }
    });
  }
}
