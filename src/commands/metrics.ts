// `watchdog metrics`: the Prometheus exposition of the last recorded run (report, check
// or the daemon's full pass), from the state store, without asking the engine (issue
// #12). Its `docker_watchdog_last_run_timestamp_seconds` says how old it is.

import { DONE, type Outcome } from '../core/outcome.js';
import { UnknownError } from '../errors.js';
import type { Io } from '../pipeline/io.js';
import { withStoreReadonly, type StoreOptions } from '../pipeline/store.js';
import { readExposition } from '../state/metrics.js';

export function metricsCommand(options: StoreOptions, io: Io): Outcome {
  const found = withStoreReadonly(options, io, (db, path) => ({ path, text: db ? readExposition(db) : null }));
  if (found.text === null) throw new UnknownError(`No metrics are recorded in ${found.path} yet; run watchdog report or watchdog check with that store (--state) first.`);
  io.stdout.write(found.text);
  return DONE;
}
