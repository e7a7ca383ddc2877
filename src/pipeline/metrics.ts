// The metrics of a run (issue #12): rendered from the report with what the store knows
// (counters, undelivered alerts, the last full pass), kept in the store for `watchdog
// metrics`, and written for node_exporter's textfile collector (`--textfile DIR`).

import { statSync } from 'node:fs';
import { join } from 'node:path';
import packageJson from '../../package.json' with { type: 'json' };
import type { Finding } from '../core/model.js';
import { renderMetrics } from '../core/metrics.js';
import type { MetricsReport } from '../core/report.js';
import { UsageError } from '../errors.js';
import { writeFileDurably } from '../files/durable.js';
import { recordExposition, storeMetrics, type StoreMetrics } from '../state/metrics.js';
import { isDamaged } from '../state/store.js';
import type { Run } from './run.js';
import { storeWrite } from './store-writes.js';

export const WATCHDOG_VERSION = packageJson.version;
/** The name node_exporter's textfile collector reads (it takes `*.prom`). */
export const TEXTFILE_NAME = 'docker_watchdog.prom';

/** The store's part of the metrics; null when it cannot be read (an in-memory store
 *  has none to give, and a failing one must not cost the run its metrics). */
export function readStoreMetrics(run: Run): StoreMetrics | null {
  try {
    return storeMetrics(run.db);
  } catch (error) {
    // A damaged store ends the run, which moves it aside (pipeline/store.ts).
    if (isDamaged(error)) throw error;
    return null;
  }
}

/** The exposition of this run, recorded in the store for `watchdog metrics`. */
export function exposition(run: Run, report: MetricsReport): string {
  const text = renderMetrics({ report, version: WATCHDOG_VERSION, store: readStoreMetrics(run) });
  storeWrite(run, 'the metrics of this run (watchdog metrics)', () => recordExposition(run.db, text));
  return text;
}

/** --textfile DIR must name a folder before the run starts: a typo is a usage error,
 *  not a warning every five minutes. */
export function requireTextfileDir(dir: string | undefined): void {
  if (dir === undefined) return;
  let isDirectory: boolean;
  try {
    isDirectory = statSync(dir).isDirectory();
  } catch (error) {
    throw new UsageError(`--textfile "${dir}" cannot be used (${(error as NodeJS.ErrnoException).code}); name node_exporter's --collector.textfile.directory, which must exist.`);
  }
  if (!isDirectory) throw new UsageError(`--textfile "${dir}" is not a folder; name node_exporter's --collector.textfile.directory.`);
}

/** What `report` and `check` do with their run's metrics: record them for `watchdog
 *  metrics`, and with --textfile DIR write them for node_exporter. The textfile's
 *  failure is returned for the run's own findings, not its metrics (they are written). */
export function publishMetrics(run: Run, report: MetricsReport, textfile: string | undefined): Finding[] {
  const text = exposition(run, report);
  const failed = textfile === undefined ? null : writeTextfile(textfile, text);
  return failed ? [failed] : [];
}

/** Writes DIR/docker_watchdog.prom whole (a scrape never reads half a file); a failure
 *  is a warning finding, and the file from the run before stays. */
function writeTextfile(dir: string, text: string): Finding | null {
  const path = join(dir, TEXTFILE_NAME);
  try {
    writeFileDurably(path, text);
    return null;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    return { code: 'ACTION_FAILED', severity: 'warning', subject: path, message: `the metrics could not be written to ${path} (${code}): Prometheus keeps reading the file of the run before` };
  }
}
