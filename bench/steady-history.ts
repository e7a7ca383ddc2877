// The history a busy host's state store holds in its steady state: a year of runs every
// 5 minutes (the shipped timer's interval), thinned as the store thins it
// (src/state/history.ts): storage every run for 2 days, hourly for 28 more, daily for the
// rest of the year, 1,583 samples; each log every run for an hour, then the first of
// each 24 minutes for the rest of the day, 70 samples.
// Shared by `npm run bench:state` and `npm run bench`, whose warm runs would otherwise
// read the few samples of the runs the bench itself made (issue #14).

import { MINUTE } from '../src/core/durations.js';
import { LOG_RETENTION, STORAGE_RETENTION, type Retention } from '../src/state/history.js';
import type { Db } from '../src/state/store.js';

export interface SurvivingTimes {
  storage: number[];
  logs: number[];
}

/** The sample times that survive a year of runs every 5 minutes, before `now`. */
export function survivingTimes(now: number): SurvivingTimes {
  return { storage: surviving(now, STORAGE_RETENTION), logs: surviving(now, LOG_RETENTION) };
}

/** What `retention` leaves of runs every `every` before `now`: each run not older than
 *  keepMs that is younger than every step's age, or the first of its step's bucket. */
function surviving(now: number, { keepMs, steps }: Retention, every = 5 * MINUTE): number[] {
  const times: number[] = [];
  for (let at = now - keepMs; at < now; at += every) {
    // The steps come oldest first: the first one a run is older than is its rule.
    const step = steps.find(([age]) => now - at > age);
    if (!step || Math.floor(at / step[1]) !== Math.floor((at - every) / step[1])) times.push(at);
  }
  return times;
}

/** Writes a steady state's history at each of `times`: storage samples like the newest
 *  one the store holds, and a log sample of each container the store knows at its
 *  newest recorded size (0 without one), so that the history is flat and adds no
 *  finding of its own. The store must hold a run to copy. */
export function writeSteadyHistory(db: Db, times: SurvivingTimes): void {
  const newest = db.prepare('SELECT * FROM samples ORDER BY taken_at DESC LIMIT 1').raw(true).get() as unknown[] | undefined;
  if (!newest) throw new Error('the store holds no run to copy: record one first');
  const columns = newest.slice(1);
  const sample = db.prepare(`INSERT OR IGNORE INTO samples VALUES (?${', ?'.repeat(columns.length)})`);
  const log = db.prepare('INSERT OR IGNORE INTO log_samples VALUES (?, ?, ?)');
  const logs = db
    .prepare('SELECT c.key, (SELECT bytes FROM log_samples l WHERE l.container_key = c.key ORDER BY taken_at DESC LIMIT 1) FROM containers c')
    .raw(true)
    .all() as Array<[number, number | null]>;
  db.transaction(() => {
    for (const at of times.storage) sample.run(at, ...columns);
    for (const [key, bytes] of logs) for (const at of times.logs) log.run(key, at, bytes ?? 0);
  })();
  db.pragma('wal_checkpoint(TRUNCATE)');
}
