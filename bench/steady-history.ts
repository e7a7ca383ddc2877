// The history a busy host's state store holds in its steady state: a year of runs every
// 5 minutes (the shipped timer's interval), thinned as the store thins it (every run for
// 2 days, hourly for 28 more, daily for the rest of the year): 1,583 samples per series.
// Shared by `npm run bench:state` and `npm run bench`, whose warm runs would otherwise
// read the few samples of the runs the bench itself made (issue #14).

import { DAY, HOUR, MINUTE } from '../src/core/durations.js';
import type { Db } from '../src/state/store.js';

/** The sample times that survive a year of runs every 5 minutes, before `now`. */
export function survivingTimes(now: number): number[] {
  const times: number[] = [];
  for (let at = now - 365 * DAY; at < now - 30 * DAY; at += DAY) times.push(at);
  for (let at = now - 30 * DAY; at < now - 2 * DAY; at += HOUR) times.push(at);
  for (let at = now - 2 * DAY; at < now; at += 5 * MINUTE) times.push(at);
  return times;
}

/** Writes a steady state's storage samples and a log sample of each container the store
 *  knows (containers.key) at each of `times`; the logs grow a byte a second. */
export function writeSteadyHistory(db: Db, times: number[]): void {
  const sample = db.prepare('INSERT OR IGNORE INTO samples (taken_at, data_used, data_total, data_available, inodes_used, inodes_total, exited_count) VALUES (?, 1, 2, 1, 1, 2, 0)');
  const log = db.prepare('INSERT OR IGNORE INTO log_samples VALUES (?, ?, ?)');
  const keys = db.prepare('SELECT key FROM containers').pluck().all() as number[];
  db.transaction(() => {
    for (const at of times) sample.run(at);
    for (const key of keys) for (const at of times) log.run(key, at, Math.round(at / 1000));
  })();
  db.pragma('wal_checkpoint(TRUNCATE)');
}
