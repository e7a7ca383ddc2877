// `watchdog config check [FILE]` and `watchdog config init [FILE]`.

import { existsSync, writeFileSync } from 'node:fs';
import { DEFAULT_CONFIG_PATH, loadConfig } from '../config/load.js';
import { CONFIG_TEMPLATE } from '../config/template.js';
import { DONE, type Outcome } from '../core/outcome.js';
import { UsageError } from '../errors.js';
import type { Io } from '../pipeline/io.js';
import { checkArchiveDir } from '../pipeline/rotation.js';
import { askDockerRootDir } from '../pipeline/run.js';

/** Checks the file, then (if the engine can be asked) logs.archiveDir against the
 *  engine's actual DockerRootDir, which each run that acts checks again. */
export async function configCheckCommand(file: string | undefined, io: Io, host?: string): Promise<Outcome> {
  const path = file ?? DEFAULT_CONFIG_PATH;
  if (!existsSync(path)) {
    if (file) throw new UsageError(`There is no configuration at ${file}; watchdog config init ${file} writes one.`);
    io.stdout.write(`No configuration at ${path}: the defaults apply (watchdog config init prints them).\n`);
    return DONE;
  }
  const config = await loadConfig(path, io.env, true); // throws a ConfigError (exit 78) listing every problem
  const engine = await askDockerRootDir(host, io);
  if ('root' in engine) checkArchiveDir(config.logs.archiveDir, engine.root);
  io.stdout.write(`${path}: OK${'root' in engine ? '' : ` (logs.archiveDir is checked against the engine's DockerRootDir when a run reaches the engine; now: ${engine.unreachable})`}\n`);
  return DONE;
}

export function configInitCommand(file: string | undefined, io: Io): Outcome {
  if (!file) {
    io.stdout.write(CONFIG_TEMPLATE);
    return DONE;
  }
  if (existsSync(file)) throw new UsageError(`${file} exists already; remove it first, or run watchdog config init without a file to print the defaults.`);
  writeFileSync(file, CONFIG_TEMPLATE, { mode: 0o644, flag: 'wx' });
  io.stdout.write(`wrote ${file}\n`);
  return DONE;
}
