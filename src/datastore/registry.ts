/** Store types by name, and creating an open DataStore from a URI or config. */
import { parseStoreConfig, parseStoreUri, type HybridRoles, type StoreConfig } from './config.js';
import type { StoreDriver } from './driver.js';
import { ConfigError } from './errors.js';
import { HybridDriver } from './hybrid/hybrid-driver.js';
import { applyLayers } from './layers/index.js';
import { OptionReader } from './options.js';
import { DataStore } from './store.js';
import type { ObjectFormat } from './types.js';

export interface StoreFactory {
  /** One line for `govc --help` and error messages. */
  description: string;
  /** Network stores keep the whole URI as their connection; embedded ones take a path. */
  network: boolean;
  /**
   * Whether a second thread or process may open this config's store beside
   * the first (a server's engine pool, `govc serve --processes`); absent: no
   * (in-process data, single-process locks).
   */
  opensTwice?(config: StoreConfig): boolean;
  /** Builds an unopened driver; reads its options through `options` (unknown keys are refused afterwards). */
  create(config: StoreConfig, options: OptionReader): Promise<StoreDriver> | StoreDriver;
}

/** Names from the Go plan whose databases have no Node binding, and what to use instead. */
const GO_ONLY: Record<string, string> = {
  badger: 'rocksdb (the same LSM role; BadgerDB is Go-only)',
  badgerdb: 'rocksdb (the same LSM role; BadgerDB is Go-only)',
  bolt: 'lmdb (BoltDB is a Go port of LMDB\'s design)',
  boltdb: 'lmdb (BoltDB is a Go port of LMDB\'s design)',
};

/** Wraps a store's driver when its options ask for it (e.g. lazy_from); returns the driver unchanged otherwise. */
export type DriverWrapper = (driver: StoreDriver, options: OptionReader, objectFormat: ObjectFormat) => Promise<StoreDriver>;

export class StoreRegistry {
  private readonly factories = new Map<string, StoreFactory>();
  private readonly wrappers: DriverWrapper[] = [];

  addWrapper(wrapper: DriverWrapper): void {
    this.wrappers.push(wrapper);
  }

  register(type: string, factory: StoreFactory): void {
    this.factories.set(type.toLowerCase(), factory);
  }

  types(): string[] {
    return [...this.factories.keys()].sort();
  }

  describe(): Array<{ type: string; description: string }> {
    return this.types().map((type) => ({ type, description: this.factories.get(type)!.description }));
  }

  private networkTypes(): Set<string> {
    return new Set([...this.factories].filter(([, f]) => f.network).map(([t]) => t));
  }

  /** Accepts a URI string or a config object; returns an unopened DataStore. */
  async build(source: string | StoreConfig | Record<string, unknown>): Promise<DataStore> {
    const config = typeof source === 'string' ? parseStoreUri(source, this.networkTypes()) : parseStoreConfig(source);
    const { driver, objectFormat } = await this.buildDriver(config, 'datastore');
    return new DataStore(driver, { objectFormat });
  }

  /** The driver a config names: a store, or a hybrid of one per role, wrapped in its layers. */
  private async buildDriver(config: StoreConfig, where: string): Promise<{ driver: StoreDriver; objectFormat: ObjectFormat }> {
    const { driver, objectFormat } = config.roles ? await this.buildHybrid(config.roles, where) : await this.buildStore(config);
    return { driver: await applyLayers(driver, config.layers, where), objectFormat };
  }

  private async buildHybrid(roles: HybridRoles, where: string): Promise<{ driver: StoreDriver; objectFormat: ObjectFormat }> {
    const objects = await this.buildDriver(roles.objects, `${where}.objects`);
    const metadata = await this.buildDriver(roles.metadata, `${where}.metadata`);
    if (objects.objectFormat !== metadata.objectFormat) {
      throw new ConfigError(
        `${where}.objects uses object_format ${objects.objectFormat} but ${where}.metadata uses ${metadata.objectFormat}; refs point at object ids, so give both the same object_format`,
        { key: `${where}.metadata.options.object_format` },
      );
    }
    return { driver: new HybridDriver(objects.driver, metadata.driver), objectFormat: objects.objectFormat };
  }

  private async buildStore(config: StoreConfig): Promise<{ driver: StoreDriver; objectFormat: ObjectFormat }> {
    const instead = GO_ONLY[config.type];
    if (instead) throw new ConfigError(`store type ${config.type} is Go-only; use ${instead}`, { key: 'type' });
    const factory = this.factories.get(config.type);
    if (!factory) {
      throw new ConfigError(`unknown store type ${config.type}; known types: ${this.types().join(', ')}`, { key: 'type' });
    }
    const options = new OptionReader(config.type, config.options);
    const objectFormat = options.string<ObjectFormat>('object_format', 'sha1', ['sha1', 'sha256']);
    let driver = await factory.create(config, options);
    for (const wrap of this.wrappers) driver = await wrap(driver, options, objectFormat);
    options.done();
    return { driver, objectFormat };
  }

  /**
   * Whether every store a config names may be opened by another thread or
   * process at once: a hybrid's two roles, and a `lazy_from` store, must all
   * allow it. Layers wrap each opener's own driver, so they do not change the
   * answer (a memory cache layer is then one cache per opener, retired by the
   * store's change feed or its ttl, as with several processes).
   */
  opensTwice(source: string | StoreConfig): boolean {
    const config = typeof source === 'string' ? parseStoreUri(source, this.networkTypes()) : source;
    if (config.roles) return this.opensTwice(config.roles.objects) && this.opensTwice(config.roles.metadata);
    const lazyFrom = config.options.lazy_from;
    if (typeof lazyFrom === 'string' && !this.opensTwice(lazyFrom)) return false;
    return this.factories.get(config.type.toLowerCase())?.opensTwice?.(config) ?? false;
  }

  /** Builds and opens a store. */
  async create(source: string | StoreConfig | Record<string, unknown>): Promise<DataStore> {
    const store = await this.build(source);
    return store.open();
  }
}
