/** Store configuration from a URI or from YAML in the plan's shape (type, connection, options). */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from './errors.js';

export interface StoreConfig {
  type: string;
  /** A path for embedded stores, a URI for network stores; may be empty (memory). */
  connection: string;
  options: Record<string, unknown>;
  /** Layers wrapping the store, outermost first (src/datastore/layers). */
  layers?: LayerConfig[];
  /** A hybrid store (type `hybrid`): one store per role (src/datastore/hybrid). */
  roles?: HybridRoles;
}

/** Kinds of layer a `datastore` block may name beside its store, in their default order, outermost first. */
export const LAYER_KINDS = ['cache', 'compression', 'encryption'] as const;
export type LayerKind = (typeof LAYER_KINDS)[number];

export interface LayerConfig {
  kind: LayerKind;
  /** e.g. memory or redis (cache), gzip (compression), aes-256-gcm (encryption). */
  type: string;
  connection: string;
  options: Record<string, unknown>;
}

export const HYBRID_ROLES = ['objects', 'metadata'] as const;
export type HybridRole = (typeof HYBRID_ROLES)[number];
export type HybridRoles = Record<HybridRole, StoreConfig>;

/** URI schemes that name the same type under its standard scheme. */
const SCHEME_TYPES: Record<string, string> = { postgresql: 'postgres', rediss: 'redis', 'mongodb+srv': 'mongodb' };

/**
 * `memory://`, `sqlite://./data/govc.db?journal_mode=WAL`, `postgres://user@host/db`.
 * Query parameters become options. Embedded stores take the path after `//`;
 * network stores keep the whole URI as their connection.
 */
export function parseStoreUri(uri: string, networkTypes: ReadonlySet<string>): StoreConfig {
  return withUriLayers(parsePlainUri(uri, networkTypes), networkTypes);
}

/**
 * Layer and role parameters of a URI, the same options as in YAML:
 * `cache.type=redis&cache.connection=redis://...&cache.ttl=1s`,
 * `compression.type=gzip&compression.level=6`, `layers=cache,compression`;
 * `hybrid://?objects=<uri>&metadata=<uri>`. Store options never hold a dot.
 */
function withUriLayers(config: StoreConfig, networkTypes: ReadonlySet<string>): StoreConfig {
  // Maps, not objects: a parameter named __proto__.x must stay an unknown key, not reach a prototype.
  const blocks = new Map<string, Map<string, unknown>>();
  const options: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config.options)) {
    const dot = key.indexOf('.');
    if (dot < 0) options[key] = value;
    else {
      const [kind, field] = [key.slice(0, dot), key.slice(dot + 1)];
      if (!blocks.has(kind)) blocks.set(kind, new Map([['options', new Map()]]));
      const block = blocks.get(kind)!;
      if (field === 'type' || field === 'connection') block.set(field, value);
      else (block.get('options') as Map<string, unknown>).set(field, value);
    }
  }
  const doc: Record<string, unknown> = Object.fromEntries(
    [...blocks].map(([kind, block]) => [kind, Object.fromEntries([...block].map(([k, v]) => [k, v instanceof Map ? Object.fromEntries(v) : v]))]),
  );
  if (options.layers !== undefined) doc.layers = String(options.layers).split(',').map((k) => k.trim()).filter(Boolean);
  delete options.layers;
  if (config.type === 'hybrid') {
    for (const role of HYBRID_ROLES) {
      if (typeof options[role] === 'string') doc[role] = parseStoreUri(options[role] as string, networkTypes);
      delete options[role];
    }
    if (config.connection !== '' || Object.keys(options).length > 0) {
      throw new ConfigError(`a hybrid store URI takes only objects=, metadata= and layer parameters, e.g. hybrid://?objects=${encodeURIComponent('rocksdb://./data/objects')}&metadata=${encodeURIComponent('postgres://host/db')}`);
    }
    return parseStoreConfig(doc, 'store URI');
  }
  return parseStoreConfig({ ...doc, type: config.type, connection: config.connection, options }, 'store URI');
}

function parsePlainUri(uri: string, networkTypes: ReadonlySet<string>): StoreConfig {
  const m = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/i.exec(uri.trim());
  if (!m) {
    throw new ConfigError(`store URI ${JSON.stringify(uri)} must look like <type>://<connection>, e.g. sqlite://./data/govc.db or memory://`);
  }
  const scheme = m[1].toLowerCase();
  const type = SCHEME_TYPES[scheme] ?? scheme;
  if (networkTypes.has(type)) {
    if (/^[^/]*\/\/[^/?]*,/.test(uri.trim())) return splitMultiHostUri(type, uri.trim());
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

/**
 * `mongodb://a:27017,b:27017/db?replica_set=rs0`: several hosts are no URL to
 * node's parser, so the query is split off by hand; the driver reads the rest.
 */
function splitMultiHostUri(type: string, uri: string): StoreConfig {
  const q = uri.indexOf('?');
  const options: Record<string, unknown> = {};
  if (q >= 0) for (const [k, v] of new URLSearchParams(uri.slice(q + 1))) options[k] = v;
  return { type, connection: q < 0 ? uri : uri.slice(0, q), options };
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

/** Checks one `datastore` block: { type, connection?, options? } or { objects, metadata }, and layers beside either. */
export function parseStoreConfig(value: unknown, where = 'datastore'): StoreConfig {
  if (!isRecord(value)) throw new ConfigError(`${where} must be a mapping with a type, e.g. {type: sqlite, connection: ./data/govc.db}`, { key: where });
  if (isParsed(value)) return value;
  const hybrid = HYBRID_ROLES.some((role) => role in value) || value.type === 'hybrid';
  const allowed = new Set<string>([...(hybrid ? ['type', ...HYBRID_ROLES] : ['type', 'connection', 'options']), ...LAYER_KINDS, 'layers']);
  for (const key of Object.keys(value)) {
    if (!allowed.has(key)) {
      const hint = hybrid ? ' (a hybrid store has objects:, metadata: and layers; its stores\' options go inside each role)' : '';
      throw new ConfigError(`unknown key ${where}.${key}; expected ${[...allowed].join(', ')}${hint}`, { key: `${where}.${key}` });
    }
  }
  const layers = parseLayers(value, where);
  if (hybrid) return { type: 'hybrid', connection: '', options: {}, roles: parseRoles(value, where), ...(layers.length ? { layers } : {}) };
  if (typeof value.type !== 'string' || value.type === '') {
    throw new ConfigError(`${where}.type is required and must be a store type such as sqlite or memory`, { key: `${where}.type` });
  }
  if (value.connection !== undefined && typeof value.connection !== 'string') {
    throw new ConfigError(`${where}.connection must be a string (a path or a URI)`, { key: `${where}.connection` });
  }
  if (value.options !== undefined && !isRecord(value.options)) {
    throw new ConfigError(`${where}.options must be a mapping of option names to values`, { key: `${where}.options` });
  }
  const config: StoreConfig = { type: value.type.toLowerCase(), connection: value.connection ?? '', options: { ...(value.options ?? {}) } };
  return layers.length ? { ...config, layers } : config;
}

/** A config parseStoreConfig made already (URIs parse their roles before the block is checked). */
function isParsed(value: Record<string, unknown>): value is StoreConfig & Record<string, unknown> {
  return isRecord(value.roles) || (Array.isArray(value.layers) && value.layers.every((l) => isRecord(l) && typeof l.kind === 'string'));
}

function parseRoles(value: Record<string, unknown>, where: string): HybridRoles {
  const roles = {} as HybridRoles;
  for (const role of HYBRID_ROLES) {
    if (value[role] === undefined) {
      throw new ConfigError(
        `${where}.${role} is missing: a hybrid store needs objects: and metadata:, each a store block such as {type: sqlite, connection: ./data/${role}.db}; to use one store for both, give type: and connection: instead`,
        { key: `${where}.${role}` },
      );
    }
    roles[role] = parseStoreConfig(value[role], `${where}.${role}`);
  }
  return roles;
}

/** The layer blocks beside a store, outermost first: as `layers:` lists them, else in LAYER_KINDS order. */
function parseLayers(value: Record<string, unknown>, where: string): LayerConfig[] {
  const present = LAYER_KINDS.filter((kind) => value[kind] !== undefined);
  let order: LayerKind[] = present;
  if (value.layers !== undefined) {
    const listed = value.layers;
    if (!Array.isArray(listed) || !listed.every((k) => typeof k === 'string')) {
      throw new ConfigError(`${where}.layers must be a list of layer kinds, outermost first, e.g. [cache, compression, encryption]`, { key: `${where}.layers` });
    }
    for (const kind of listed) {
      if (!(LAYER_KINDS as readonly string[]).includes(kind)) throw new ConfigError(`${where}.layers names ${kind}; layer kinds are ${LAYER_KINDS.join(', ')}`, { key: `${where}.layers` });
      if (value[kind] === undefined) throw new ConfigError(`${where}.layers lists ${kind} but ${where}.${kind} is not configured; add a ${kind}: block or drop it from the list`, { key: `${where}.layers` });
    }
    if (new Set(listed).size !== listed.length) throw new ConfigError(`${where}.layers lists a layer twice; each kind wraps the store once`, { key: `${where}.layers` });
    const unlisted = present.filter((kind) => !listed.includes(kind));
    if (unlisted.length) throw new ConfigError(`${where}.${unlisted[0]} is configured but not in ${where}.layers; list every layer, outermost first`, { key: `${where}.layers` });
    order = listed as LayerKind[];
  }
  return order.map((kind) => parseLayer(kind, value[kind], `${where}.${kind}`));
}

function parseLayer(kind: LayerKind, value: unknown, where: string): LayerConfig {
  if (typeof value === 'string' && value !== '') return { kind, type: value.toLowerCase(), connection: '', options: {} };
  if (!isRecord(value)) throw new ConfigError(`${where} must be a mapping {type, connection?, options?} or a type name`, { key: where });
  for (const key of Object.keys(value)) {
    if (!['type', 'connection', 'options'].includes(key)) throw new ConfigError(`unknown key ${where}.${key}; expected type, connection, options`, { key: `${where}.${key}` });
  }
  if (typeof value.type !== 'string' || value.type === '') throw new ConfigError(`${where}.type is required`, { key: `${where}.type` });
  if (value.connection !== undefined && typeof value.connection !== 'string') throw new ConfigError(`${where}.connection must be a string`, { key: `${where}.connection` });
  if (value.options !== undefined && !isRecord(value.options)) throw new ConfigError(`${where}.options must be a mapping`, { key: `${where}.options` });
  return { kind, type: value.type.toLowerCase(), connection: value.connection ?? '', options: { ...(value.options ?? {}) } };
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

/** A config file's text; a file that cannot be read is a ConfigError naming it. */
export function readConfigText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${path}: ${(err as Error).message}`);
  }
}

export function loadStoreYaml(path: string): StoreConfig {
  return parseStoreYaml(readConfigText(path), path);
}
