/** Store configuration from a URI or from YAML in the plan's shape (type, connection, options). */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from './errors.js';

export interface StoreConfig {
  type: string;
  /** A path for embedded stores, a URI for network stores; may be empty (memory). */
  connection: string;
  options: Record<string, unknown>;
}

/** URI schemes that name the same type under its standard scheme. */
const SCHEME_TYPES: Record<string, string> = { postgresql: 'postgres', rediss: 'redis' };

/**
 * `memory://`, `sqlite://./data/govc.db?journal_mode=WAL`, `postgres://user@host/db`.
 * Query parameters become options. Embedded stores take the path after `//`;
 * network stores keep the whole URI as their connection.
 */
export function parseStoreUri(uri: string, networkTypes: ReadonlySet<string>): StoreConfig {
  const m = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/i.exec(uri.trim());
  if (!m) {
    throw new ConfigError(`store URI ${JSON.stringify(uri)} must look like <type>://<connection>, e.g. sqlite://./data/govc.db or memory://`);
  }
  const scheme = m[1].toLowerCase();
  const type = SCHEME_TYPES[scheme] ?? scheme;
  if (networkTypes.has(type)) {
    const url = parseUrl(uri.trim());
    const options: Record<string, unknown> = {};
    for (const [k, v] of url.searchParams) options[k] = v;
    // Options stay out of the connection string the driver sees.
    url.search = '';
    return { type, connection: url.toString(), options };
  }
  const rest = m[2];
  const q = rest.indexOf('?');
  const path = decodePath(q < 0 ? rest : rest.slice(0, q), uri);
  const options: Record<string, unknown> = {};
  if (q >= 0) for (const [k, v] of new URLSearchParams(rest.slice(q + 1))) options[k] = v;
  return { type, connection: path, options };
}

/** The URI with its password masked, for messages. */
export function redact(uri: string): string {
  return uri.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:@/]*):[^]*@/i, '$1:***@');
}

/** node's URL throws a bare TypeError ("Invalid URL"); say what is wrong and how to fix it. */
function parseUrl(uri: string): URL {
  try {
    return new URL(uri);
  } catch {
    throw new ConfigError(
      `store URI ${JSON.stringify(redact(uri))} is not a valid URL: check the host and port, and %-encode special characters in the user name or password (@ is %40, : is %3A, / is %2F)`,
    );
  }
}

function decodePath(path: string, uri: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    throw new ConfigError(`store URI ${JSON.stringify(redact(uri))} has a malformed %-escape in its path: write a literal % as %25`);
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Checks one `datastore` block: { type, connection?, options? }. */
export function parseStoreConfig(value: unknown, where = 'datastore'): StoreConfig {
  if (!isRecord(value)) throw new ConfigError(`${where} must be a mapping with a type, e.g. {type: sqlite, connection: ./data/govc.db}`, { key: where });
  const allowed = new Set(['type', 'connection', 'options']);
  for (const key of Object.keys(value)) {
    if (!allowed.has(key)) {
      const hint = ['objects', 'metadata', 'cache'].includes(key)
        ? ' (hybrid setups with objects/metadata/cache sections are not supported yet; use one type)'
        : '';
      throw new ConfigError(`unknown key ${where}.${key}; expected type, connection, options${hint}`, { key: `${where}.${key}` });
    }
  }
  if (typeof value.type !== 'string' || value.type === '') {
    throw new ConfigError(`${where}.type is required and must be a store type such as sqlite or memory`, { key: `${where}.type` });
  }
  if (value.connection !== undefined && typeof value.connection !== 'string') {
    throw new ConfigError(`${where}.connection must be a string (a path or a URI)`, { key: `${where}.connection` });
  }
  if (value.options !== undefined && !isRecord(value.options)) {
    throw new ConfigError(`${where}.options must be a mapping of option names to values`, { key: `${where}.options` });
  }
  return { type: value.type.toLowerCase(), connection: value.connection ?? '', options: { ...(value.options ?? {}) } };
}

/** A YAML document holding `datastore:` at its top (or the block itself). */
export function parseStoreYaml(text: string, source = 'config'): StoreConfig {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new ConfigError(`${source} is not valid YAML: ${(err as Error).message}`);
  }
  if (isRecord(doc) && 'datastore' in doc) return parseStoreConfig(doc.datastore, 'datastore');
  return parseStoreConfig(doc, source);
}

export function loadStoreYaml(path: string): StoreConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${path}: ${(err as Error).message}`);
  }
  return parseStoreYaml(text, path);
}
