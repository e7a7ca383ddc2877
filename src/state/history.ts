// History in the state store: one storage sample per run, and the size of each running
// container's log. Thinned as it ages (every run for two days, hourly for a month,
// daily for a year), so a busy host's store stays small.

import { DAY, HOUR } from '../core/durations.js';
import { evenly } from '../core/forecast.js';
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
  /** At most this many of each log's samples, evenly chosen, the first and the last
   *  among them (core/forecast.ts evenly). */
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
  // and parsed in one call: a row per sample costs about 1 µs in better-sqlite3, and a
  // timer every 5 minutes records 288 samples of each log a day. A store of 409 runs
  // (20,450 log samples) took 21 ms as rows, 10 ms as arrays (issue #14). Only the
  // samples a run uses become objects: at 50 running containers, making a day's 14,400
  // of them took 3.7 ms, and the trends over all of them 6 ms.
  const logs: History['logs'] = {};
  const series = db
    .prepare('SELECT c.id, json_group_array(json_array(l.taken_at, l.bytes) ORDER BY l.taken_at) FROM containers c JOIN log_samples l ON l.container_key = c.key AND l.taken_at > ? GROUP BY c.key')
    .raw(true)
    .all(window.logsAfter) as Array<[string, string]>;
  for (const [id, pairs] of series) logs[id] = evenly(JSON.parse(pairs) as Array<[number, number]>, window.logPoints).map(([at, value]) => ({ at, value }));
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

/**
 * Keeps the first sample of each hour after two days, of each day after a month, and
 * nothing after a year. Only the buckets that aged past a boundary since the last
 * thinning are looked at: thinning the whole history on every run cost 0.3 s with 100
 * running containers (npm run bench:state). The CASTs matter: better-sqlite3 binds JS
 * numbers as REAL, and a REAL divisor would put every sample in a bucket of its own.
 */
export function thin(db: Db, now: number): void {
  const last = Number(readMeta(db, 'thinnedAt') ?? 0);
  db.prepare('DELETE FROM samples WHERE taken_at < ?').run(now - 365 * DAY);
  // log_samples is keyed by (container, time): naming the containers lets SQLite seek
  // each one's range of time instead of reading the whole table (a host's steady state
  // at 50 running containers, 79,000 samples: 11 ms of every run; issue #14).
  db.prepare(`DELETE FROM log_samples WHERE ${EACH_CONTAINER} AND taken_at < ?`).run(now - 365 * DAY);
  for (const [age, bucket] of [
    [30 * DAY, DAY],
    [2 * DAY, HOUR],
  ] as const) {
    const olderThan = now - age;
    // Whole buckets from the one that held the previous boundary: earlier ones are done.
    const from = Math.max(0, Math.floor((last - age) / bucket) * bucket);
    const range = { from, olderThan, bucket };
    db.prepare(
      `DELETE FROM samples WHERE taken_at >= :from AND taken_at < :olderThan AND taken_at NOT IN
         (SELECT min(taken_at) FROM samples WHERE taken_at >= :from AND taken_at < :olderThan GROUP BY taken_at / CAST(:bucket AS INTEGER))`,
    ).run(range);
    db.prepare(
      `DELETE FROM log_samples WHERE ${EACH_CONTAINER} AND taken_at >= :from AND taken_at < :olderThan AND (container_key, taken_at) NOT IN
         (SELECT container_key, min(taken_at) FROM log_samples WHERE ${EACH_CONTAINER} AND taken_at >= :from AND taken_at < :olderThan GROUP BY container_key, taken_at / CAST(:bucket AS INTEGER))`,
    ).run(range);
  }
  writeMeta(db, 'thinnedAt', String(now));
}
