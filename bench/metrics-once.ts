// One run's metrics, timed in a fresh process (npm run bench, issue #12): what a run
// pays is the first rendering, cold code and all, not the hundredth. Reads the report
// JSON at argv[2] and the state store at argv[3]; prints {"storeMs":…,"renderMs":…}.
//
// The report is `watchdog report`'s, every container in it, the most a run renders
// (check and the daemon render buildMetricsReport's, with the active containers only).
// With SETTLE_FROM containers or more, a run renders right after a full collection
// (record() ends with settleMemory), and so does this, when run with --expose-gc: at
// 5,000 the collection owed by parsing this 5 MB file otherwise fell into the rendering
// in most runs (9-24 ms, against 4.0-5.7 ms after a gc(); 15 fresh processes each,
// 2026-12-01, issue #14).

import { readFileSync } from 'node:fs';
import { renderMetrics } from '../src/core/metrics.js';
import type { Report } from '../src/core/report.js';
import { SETTLE_FROM } from '../src/pipeline/run.js';
import { storeMetrics } from '../src/state/metrics.js';
import { openStoreReadonly } from '../src/state/store.js';

const report = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as Report;
const db = openStoreReadonly(process.argv[3]!)!;
if (report.containers.length >= SETTLE_FROM) (globalThis as { gc?: () => void }).gc?.();
const t0 = performance.now();
const fromStore = storeMetrics(db);
const t1 = performance.now();
renderMetrics({ report, version: 'bench', store: fromStore });
const t2 = performance.now();
db.close();
console.log(JSON.stringify({ storeMs: t1 - t0, renderMs: t2 - t1 }));
