import { describeCompliance } from '../compliance/suite.js';

describeCompliance('memory', { freshConfig: async () => 'memory://' });
