// One run's metrics, timed in a fresh process (npm run bench, issue #12): what a run
// pays is the first rendering, cold code and all, not the hundredth. Reads the report
// JSON at argv[2] and the state store at argv[3]; prints {"storeMs":…,"renderMs":…}.

import { readFileSync } from 'node:fs';
import { renderMetrics } from '../src/core/metrics.js';
import { storeMetrics } from '../src/state/metrics.js';
import { openStoreReadonly } from '../src/state/store.js';

const report = JSON.parse(readFileSync(process.argv[2]!, 'utf8'));
const db = openStoreReadonly(process.argv[3]!)!;
const t0 = performance.now();
const fromStore = storeMetrics(db);
const t1 = performance.now();
renderMetrics({ report, version: 'bench', store: fromStore });
const t2 = performance.now();
db.close();
console.log(JSON.stringify({ storeMs: t1 - t0, renderMs: t2 - t1 }));
