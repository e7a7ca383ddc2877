// One run's metrics, timed in a fresh process (npm run bench, issue #12): what a run
// pays is the first rendering, cold code and all, not the hundredth. Reads the report
// JSON at argv[2] and the state store at argv[3]; prints {"storeMs":…,"renderMs":…}.
//
// Two things a run does not do are kept out of the timing (issue #14):
// - the exited containers: a run renders buildMetricsReport's report, whose containers
//   are the active ones (exited ones count only in its sums);
// - the garbage collection owed by parsing this file: at 5,000 containers a 5 MB parse,
//   whose collection fell into the rendering in most runs (4 ms without it, 9-23 ms
//   with it, 2026-12-01). Run with --expose-gc; without it the figure includes that.

import { readFileSync } from 'node:fs';
import { renderMetrics } from '../src/core/metrics.js';
import { isExited } from '../src/core/model.js';
import type { Report } from '../src/core/report.js';
import { storeMetrics } from '../src/state/metrics.js';
import { openStoreReadonly } from '../src/state/store.js';

const parsed = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as Report;
const report = { ...parsed, containers: parsed.containers.filter((c) => !isExited(c.state)) };
const db = openStoreReadonly(process.argv[3]!)!;
(globalThis as { gc?: () => void }).gc?.();
const t0 = performance.now();
const fromStore = storeMetrics(db);
const t1 = performance.now();
renderMetrics({ report, version: 'bench', store: fromStore });
const t2 = performance.now();
db.close();
console.log(JSON.stringify({ storeMs: t1 - t0, renderMs: t2 - t1 }));
