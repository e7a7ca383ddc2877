// The configuration file (YAML): where it is, and the typed value it becomes. Parsing
// lives in parse.ts and is loaded only when there is a file to parse, so the usual
// run without one does not pay for the YAML and schema libraries at start-up.

import { readFileSync } from 'node:fs';
import { DEFAULT_THRESHOLDS, type Thresholds } from '../core/evaluate.js';
import { ConfigError } from '../errors.js';

export const DEFAULT_CONFIG_PATH = '/etc/docker-watchdog/config.yaml';

/** How live json-file logs with no max-size are rotated (issue #4). */
export interface LogPolicy {
  /** Rotate a live, unbounded json-file log beyond this. */
  maxSizeBytes: number;
  /** Archives kept per container. */
  keep: number;
  archiveDir: string;
  /** Oldest archives go first beyond this, across containers. */
  archiveBudgetBytes: number;
}

export interface Config {
  thresholds: Thresholds;
  logs: LogPolicy;
  /** How long a `docker system df` answer is reused: df walks every writable layer and
   *  holds container locks, too costly for every timer run on a big host. */
  usageMaxAgeMs: number;
}

export const DEFAULT_LOG_POLICY: LogPolicy = {
  maxSizeBytes: 100_000_000,
  keep: 5,
  archiveDir: '/var/lib/docker-watchdog/archive',
  archiveBudgetBytes: 5_000_000_000,
};

export const DEFAULT_CONFIG: Config = { thresholds: DEFAULT_THRESHOLDS, logs: DEFAULT_LOG_POLICY, usageMaxAgeMs: 3_600_000 };

/** Reads --config FILE, or the default path if it exists, or gives the defaults. */
export async function loadConfig(path: string | undefined): Promise<Config> {
  const file = path ?? DEFAULT_CONFIG_PATH;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (path === undefined && code === 'ENOENT') return DEFAULT_CONFIG;
    throw new ConfigError(`Cannot read the configuration ${file} (${code}); check the path given to --config.`);
  }
  const { parseConfig } = await import('./parse.js');
  return parseConfig(text, file);
}
