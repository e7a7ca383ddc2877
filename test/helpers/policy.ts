// The configuration's defaults, as a host without a configuration file runs with them:
// the policy tables of the unit tests start from here.

import { defaultConfig } from '../../src/config/schema.js';

export const DEFAULTS = defaultConfig();
