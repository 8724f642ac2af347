/** The compliance suite through an in-process cache over memory (SQLite under a cache: value-compliance; Redis tier: hybrid-compliance). */
import { describeCompliance } from '../compliance/suite.js';
import { LAYERED_SIZES } from './sizes.js';

describeCompliance('memory + memory cache (YAML)', {
  ...LAYERED_SIZES,
  freshConfig: async () => ({ type: 'memory', cache: { type: 'memory', options: { size: '8MB' } } }) as never,
});
