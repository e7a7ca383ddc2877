// npm run bench:state: how big the state store gets on a busy host after a year of runs
// every 5 minutes, and what recording one more run then costs. Builds the steady state
// thinning leaves (bench/steady-history.ts) for BENCH_RUNNING running containers
// (default 100), then records runs.

import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DAY, MINUTE as MIN } from '../src/core/durations.js';
import type { ContainerFacts, Snapshot } from '../src/core/model.js';
import { logConfigFacts } from '../src/core/logs.js';
import { filesystemStorage } from '../src/core/storage.js';
import { recordRun } from '../src/state/history.js';
import { openStore } from '../src/state/store.js';
import { facts, logOf } from '../test/helpers/facts.js';
import { survivingTimes, writeSteadyHistory } from './steady-history.js';

const RUNNING = Number(process.env.BENCH_RUNNING ?? 100);
const now = Date.parse('2026-11-28T12:00:00Z');

const ids = Array.from({ length: RUNNING }, (_, i) => i.toString(16).padStart(64, '0'));
const container = (id: string, bytes: number): ContainerFacts =>
  facts({ id, name: `app-${id.slice(-4)}`, image: 'app', logConfig: logConfigFacts('json-file', {}), logFiles: logOf(bytes) });
const snapshot = (at: number): Snapshot => ({
  takenAt: new Date(at),
  engine: null,
  storage: filesystemStorage('/var/lib/docker', { bsize: 4096, blocks: 1e8, bfree: 5e7, bavail: 5e7, files: 1e7, ffree: 5e6 }),
  usage: null,
  containers: ids.map((id, i) => container(id, at / 1000 + i)),
  failures: [],
});

const dir = mkdtempSync(join(tmpdir(), 'wd-state-size-'));
try {
  const path = join(dir, 'state.db');
  const { db } = openStore(path, console.warn, new Date(now));
  const times = survivingTimes(now);
  // One run before the year, so that the store knows the containers and their logs' sizes.
  recordRun(db, snapshot(times.storage[0]! - DAY));
  writeSteadyHistory(db, times);
  const sizeMb = statSync(path).size / 1e6;

  const durations: number[] = [];
  for (let run = 1; run <= 12; run++) {
    const started = performance.now();
    recordRun(db, snapshot(now + run * 5 * MIN));
    durations.push(performance.now() - started);
  }
  db.pragma('wal_checkpoint(TRUNCATE)');
  durations.sort((a, b) => a - b);
  console.log(`${RUNNING} running containers, after a year of runs every 5 minutes: ${times.storage.length} storage samples, ${times.logs.length} of each log:`);
  console.log(`  store: ${sizeMb.toFixed(1)} MB (${(statSync(path).size / 1e6).toFixed(1)} MB after 12 more runs)`);
  console.log(`  recording one run (sample, ${RUNNING} log sizes, thinning): median ${durations[6]!.toFixed(1)} ms, worst ${durations[11]!.toFixed(1)} ms`);
  db.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
