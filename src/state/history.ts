// History in the state store: one storage sample per run, and the size of each running
// container's log. Thinned as it ages (storage: every run for two days, hourly for a
// month, daily for a year; logs: every run for an hour, then what a trend reads, for a
// day), so a busy host's store stays small.

import { DAY, HOUR } from '../core/durations.js';
import { evenly, LOG_FIT, MAX_FIT_POINTS } from '../core/forecast.js';
import type { History, Snapshot } from '../core/model.js';
import { isExited } from '../core/model.js';
import { readMeta, writeMeta, type Db } from './store.js';

/** How much of the history a run reads. */
export interface HistoryWindow {
  /** Storage samples taken at or after this time (ms since the epoch)... */
  storageSince: number;
  /** ...and this many more, the last ones before it. */
  storageBefore: number;
  /** Log samples taken after this time. */
  logsAfter: number;
  /** At most this many of each log's samples, evenly spread in time, the first and the
   *  last among them (core/forecast.ts evenly). */
  logPoints: number;
}

/** Reads what earlier runs recorded, as far back as `window` says. */
export function readHistory(db: Db, window: HistoryWindow): History {
  const storage = db
    .prepare(
      `SELECT taken_at AS at, data_used AS dataUsed, inodes_used AS inodesUsed FROM samples
         WHERE taken_at >= :since OR taken_at IN (SELECT taken_at FROM samples WHERE taken_at < :since ORDER BY taken_at DESC LIMIT :before)
         ORDER BY taken_at`,
    )
    .all({ since: window.storageSince, before: window.storageBefore }) as History['storage'];
  // Container by container, each a range of the table's key (container, time), and
  // each container's samples as one JSON array of [time, bytes] pairs, built by SQLite
  // and parsed in one call: a row per sample costs about 1 µs in better-sqlite3. A
  // store of 409 runs (20,450 log samples) took 21 ms as rows, 10 ms as arrays (issue
  // #14). A 5-minute timer's store holds 70 samples of each log (LOG_RETENTION).
  const logs: History['logs'] = {};
  const series = db
    .prepare('SELECT c.id, json_group_array(json_array(l.taken_at, l.bytes) ORDER BY l.taken_at) FROM containers c JOIN log_samples l ON l.container_key = c.key AND l.taken_at > ? GROUP BY c.key')
    .raw(true)
    .all(window.logsAfter) as Array<[string, string]>;
  for (const [id, pairs] of series) {
    logs[id] = evenly(
      (JSON.parse(pairs) as Array<[number, number]>).map(([at, value]) => ({ at, value })),
      window.logPoints,
    );
  }
  return { storage, logs };
}

/** Records this run's sample, forgets removed containers and thins old samples. */
export function recordRun(db: Db, snapshot: Snapshot): void {
  const at = snapshot.takenAt.getTime();
  const s = snapshot.storage;
  const u = snapshot.usage;
  const exited = snapshot.containers.filter((c) => isExited(c.state));
  const measured = exited.filter((c) => c.footprint !== null);
  const insertSample = db.prepare(`INSERT OR REPLACE INTO samples VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const upsertContainer = db.prepare('INSERT INTO containers (id, name) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET name = excluded.name RETURNING key');
  const insertLog = db.prepare('INSERT OR REPLACE INTO log_samples VALUES (?, ?, ?)');

  db.transaction(() => {
    insertSample.run(
      at,
      s?.data?.usedBytes ?? null,
      s?.data?.totalBytes ?? null,
      s?.data?.availableBytes ?? null,
      s?.metadata?.usedBytes ?? null,
      s?.metadata?.totalBytes ?? null,
      s?.metadata?.availableBytes ?? null,
      s?.inodes?.used ?? null,
      s?.inodes?.total ?? null,
      exited.length,
      measured.length > 0 ? measured.reduce((a, c) => a + c.footprint!.bytes, 0) : null,
      u?.images.sizeBytes ?? null,
      u?.containers.sizeBytes ?? null,
      u?.volumes.sizeBytes ?? null,
      u?.buildCache.sizeBytes ?? null,
    );
    for (const c of snapshot.containers) {
      // Only running logs grow; an exited container's log would be the same row again.
      if (isExited(c.state) || !c.logFiles) continue;
      const { key } = upsertContainer.get(c.id, c.name) as { key: number };
      insertLog.run(key, at, c.logFiles.bytes);
    }
    // A container that is gone has no future: drop its history (log_samples cascade).
    // Only when the list is complete: a failed containers collector lists nothing.
    if (!snapshot.failures.some((f) => f.collector === 'containers')) {
      const ids = JSON.stringify(snapshot.containers.map((c) => c.id));
      db.prepare('DELETE FROM containers WHERE id NOT IN (SELECT value FROM json_each(?))').run(ids);
    }
    thin(db, at);
  })();
}

/** Every container's samples (the foreign key cascades, so none belongs to no container). */
const EACH_CONTAINER = 'container_key IN (SELECT key FROM containers)';

/** How a table of samples ages: past `age`, only the first sample of each `bucket`
 *  stays (the oldest rule first); past `keepMs`, none. `thinnedAt` names the meta key
 *  that says when the rules last ran. */
export interface Retention {
  table: 'samples' | 'log_samples';
  keepMs: number;
  steps: ReadonlyArray<readonly [age: number, bucket: number]>;
  thinnedAt: string;
}

/** Storage: every run for two days, hourly for a month, daily for a year. */
export const STORAGE_RETENTION: Retention = { table: 'samples', keepMs: 365 * DAY, steps: [[30 * DAY, DAY], [2 * DAY, HOUR]], thinnedAt: 'thinnedAt' };

/**
 * Logs: every run of the last hour (a young host's first trends), then the first sample
 * of each 24 minutes, and nothing past a day: a log's trend fits the last day (LOG_FIT)
 * on at most MAX_FIT_POINTS samples evenly spread in time, one per 24 minutes (issue
 * #14). A 5-minute timer's day leaves 70 samples of each log. Kept like storage, a year
 * of that timer left 1,583, of which a run read the last day's 288: at 50 running
 * containers 79,000 rows, a 3.2 MB store instead of 1.6 MB, and a warm report at 1,000
 * exited containers took 164 ms in the last bench on such a store and 142 ms with this
 * rule (npm run bench, 2026-11-30; reading the day, and the store's quick_check over
 * every page). A meta key of its own: a store from before this rule has its logs'
 * whole range thinned once (55 ms for a year of 100 logs).
 */
export const LOG_RETENTION: Retention = { table: 'log_samples', keepMs: LOG_FIT.windowMs, steps: [[HOUR, Math.floor(LOG_FIT.windowMs / MAX_FIT_POINTS)]], thinnedAt: 'logsThinnedAt' };

/**
 * Applies each retention. Only the samples that aged past a step since the last
 * thinning are looked at: thinning the whole history on every run cost 0.3 s with 100
 * running containers (npm run bench:state).
 */
export function thin(db: Db, now: number): void {
  for (const retention of [STORAGE_RETENTION, LOG_RETENTION]) thinTable(db, retention, now);
}

function thinTable(db: Db, { table, keepMs, steps, thinnedAt }: Retention, now: number): void {
  const last = Number(readMeta(db, thinnedAt) ?? 0);
  // log_samples is keyed by (container, time): naming the containers lets SQLite seek
  // each one's range of time instead of reading the whole table (a host's steady state
  // at 50 running containers, 79,000 samples: 11 ms of every run; issue #14).
  const [where, sameSeries] = table === 'log_samples' ? [`${EACH_CONTAINER} AND `, `earlier.container_key = ${table}.container_key AND `] : ['', ''];
  db.prepare(`DELETE FROM ${table} WHERE ${where}taken_at < ?`).run(now - keepMs);
  for (const [age, bucket] of steps) {
    const olderThan = now - age;
    // Only the samples that aged past `age` since the last thinning: the others were
    // looked at then.
    const from = Math.max(0, last - age);
    // A sample goes when an earlier one of its series is in its bucket, wherever that
    // one is: a key seek per sample. A NOT IN of each bucket's first took 2.1 s over a
    // day of 100 logs, the first thinning of a store from before logs were kept for a
    // day. The CAST matters: better-sqlite3 binds JS numbers as REAL, and a REAL divisor
    // would not round down.
    db.prepare(
      `DELETE FROM ${table} WHERE ${where}taken_at >= :from AND taken_at < :olderThan AND EXISTS
         (SELECT 1 FROM ${table} AS earlier WHERE ${sameSeries}earlier.taken_at >= ${table}.taken_at / CAST(:bucket AS INTEGER) * CAST(:bucket AS INTEGER) AND earlier.taken_at < ${table}.taken_at)`,
    ).run({ from, olderThan, bucket });
  }
  writeMeta(db, thinnedAt, String(now));
}
