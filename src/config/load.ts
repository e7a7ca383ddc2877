// Where the configuration comes from: --config FILE, else the default path if a file is
// there, else the defaults. The schema (config/schema.ts) is loaded only when there is a
// file to parse.

import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors.js';
import type { Config } from './schema.js';

export const DEFAULT_CONFIG_PATH = '/etc/docker-watchdog/config.yaml';

// scripts/build.mjs computes the defaults from the schema and writes them in here, so
// that a run without a file does not load zod and yaml (1 MB) only to learn them. Run
// from source (tests), it is not defined and the schema gives them.
declare const WATCHDOG_DEFAULT_CONFIG: string | undefined;

async function defaults(): Promise<Config> {
  if (typeof WATCHDOG_DEFAULT_CONFIG !== 'undefined') return JSON.parse(WATCHDOG_DEFAULT_CONFIG) as Config;
  return (await import('./schema.js')).defaultConfig();
}

/** `env` is where alerts.email.passwordEnv must be set (the process's, or a test's);
 *  `sendsMail` when the command may send mail (then the password must be there). */
export async function loadConfig(path: string | undefined, env: NodeJS.ProcessEnv = process.env, sendsMail = false): Promise<Config> {
  const file = path ?? DEFAULT_CONFIG_PATH;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (path === undefined && code === 'ENOENT') return defaults();
    throw new ConfigError(`Cannot read the configuration ${file} (${code}); check the path given to --config.`);
  }
  const { parseConfig } = await import('./schema.js');
  return parseConfig(text, file, { env, sendsMail });
}
