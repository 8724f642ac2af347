/**
 * The store configs migration adds to a registry: the `migrating` type (a
 * live migration's dual-writing store) and the `lazy_from` option of every
 * store (reads through to an old store on a miss).
 *
 *   datastore: { type: migrating, options: { source: sqlite://old.db, target: postgres://host/db } }
 *   datastore: { type: postgres, connection: postgres://host/db, options: { lazy_from: sqlite://old.db } }
 */
import { redact } from '../config.js';
import { ConfigError } from '../errors.js';
import type { StoreRegistry } from '../registry.js';
import { LazyDriver } from './lazy-driver.js';
import { checkSameFormat, MigratingDriver } from './migrating-driver.js';

export function registerMigrationStores(registry: StoreRegistry): void {
  registry.register('migrating', {
    description: 'a live migration: writes to source and target, reads from the source until the cut-over (options: source, target)',
    network: false,
    async create(_config, options) {
      const source = options.string('source');
      const target = options.string('target');
      if (!source || !target) throw new ConfigError('a migrating store needs options source and target, each a store URI', { key: 'options' });
      const [from, to] = await Promise.all([registry.build(source), registry.build(target)]);
      checkSameFormat(from.objectFormat, to.objectFormat);
      return new MigratingDriver(from.driver, to.driver);
    },
  });

  registry.addWrapper(async (driver, options, format) => {
    const from = options.string('lazy_from');
    if (!from) return driver;
    const copy = options.bool('lazy_copy', true);
    const old = await registry.build(from);
    checkSameFormat(old.objectFormat, format);
    return new LazyDriver(driver, old.driver, redact(from), format, copy);
  });
}
