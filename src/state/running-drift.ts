// The running-drift checks (RUNNING_DRIFT, issue #13): each `docker diff` of a running
// container, what it cost and what it found. Read for when the next check is due, for
// the findings `report` and `watchdog audit` show without running a diff, and for a
// WRITABLE_ROOTFS suggestion (what a container writes, over its history).

import type { Change, DriftStatus } from '../core/drift.js';
import type { RunningDriftCheck } from '../core/running-drift.js';
import type { ModeCheck } from '../core/setuid.js';
import type { Db } from './store.js';

/** Checks kept per container: two days of hourly checks. */
export const KEEP_PER_CONTAINER = 48;

interface Row {
  containerId: string;
  name: string;
  checkedAt: number;
  durationMs: number;
  changes: number;
  status: string;
  outside: string;
  outsideCount: number;
  criticalCount: number;
  written: string;
  writtenCount: number;
  outsideKey: string | null;
  bundle: string | null;
  modes: string | null;
}

const COLUMNS =
  'container_id AS containerId, name, checked_at AS checkedAt, duration_ms AS durationMs, changes, status, outside, outside_count AS outsideCount, critical_count AS criticalCount, written, written_count AS writtenCount, outside_key AS outsideKey, bundle, modes';

const fromRow = (r: Row): RunningDriftCheck => ({
  ...r,
  checkedAt: new Date(r.checkedAt).toISOString(),
  status: r.status as DriftStatus,
  outside: JSON.parse(r.outside) as Change[],
  written: JSON.parse(r.written) as Change[],
  modes: r.modes === null ? null : (JSON.parse(r.modes) as ModeCheck),
});

/** Records a check; returns its row, for the bundle written after it (setRunningDriftBundle). */
export function recordRunningDriftCheck(db: Db, check: RunningDriftCheck): number {
  const { lastInsertRowid } = db.prepare(
    'INSERT INTO running_drift (container_id, name, checked_at, duration_ms, changes, status, outside, outside_count, critical_count, written, written_count, outside_key, bundle, modes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
  ).run(
    check.containerId,
    check.name,
    Date.parse(check.checkedAt),
    check.durationMs,
    check.changes,
    check.status,
    JSON.stringify(check.outside),
    check.outsideCount,
    check.criticalCount,
    JSON.stringify(check.written),
    check.writtenCount,
    check.outsideKey,
    check.bundle,
    check.modes === null ? null : JSON.stringify(check.modes),
  );
  return Number(lastInsertRowid);
}

/** The forensic bundle written for a recorded check. */
export function setRunningDriftBundle(db: Db, row: number, folder: string): void {
  db.prepare('UPDATE running_drift SET bundle = ? WHERE id = ?').run(folder, row);
}

/** The last check of each container, by container id. */
export function lastRunningDriftChecks(db: Db): Map<string, RunningDriftCheck> {
  const rows = db
    .prepare(`SELECT ${COLUMNS} FROM running_drift r WHERE id = (SELECT id FROM running_drift WHERE container_id = r.container_id ORDER BY checked_at DESC, id DESC LIMIT 1)`)
    .all() as Row[];
  return new Map(rows.map((r) => [r.containerId, fromRow(r)]));
}

/** The last check of one container, or null if it was never checked. */
export function lastRunningDriftCheck(db: Db, containerId: string): RunningDriftCheck | null {
  const row = db.prepare(`SELECT ${COLUMNS} FROM running_drift WHERE container_id = ? ORDER BY checked_at DESC, id DESC LIMIT 1`).get(containerId) as Row | undefined;
  return row ? fromRow(row) : null;
}

/** Every kept check of one container, newest first. */
export function runningDriftHistory(db: Db, containerId: string): RunningDriftCheck[] {
  return (db.prepare(`SELECT ${COLUMNS} FROM running_drift WHERE container_id = ? ORDER BY checked_at DESC, id DESC`).all(containerId) as Row[]).map(fromRow);
}

/** What a container wrote over its kept history: the union of the written paths of
 *  its checks (a path once, with the kind it had last), when it was first and last
 *  checked, how many checks, and whether a check kept fewer paths than it found (then
 *  the union is not all it wrote). Null if it was never checked. */
export interface RunningDriftWrites {
  containerId: string;
  firstCheckedAt: string;
  lastCheckedAt: string;
  checks: number;
  written: Change[];
  truncated: boolean;
}

export function runningDriftWrites(db: Db, containerId: string): RunningDriftWrites | null {
  const history = runningDriftHistory(db, containerId);
  if (history.length === 0) return null;
  const byPath = new Map<string, Change>();
  // Oldest first, so each path keeps the kind it had last.
  for (const check of [...history].reverse()) for (const change of check.written) byPath.set(change.path, change);
  return {
    containerId,
    firstCheckedAt: history[history.length - 1]!.checkedAt,
    lastCheckedAt: history[0]!.checkedAt,
    checks: history.length,
    written: [...byPath.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)),
    truncated: history.some((c) => c.writtenCount > c.written.length),
  };
}

/** Whether an earlier check of this container found the same set of outside paths, and
 *  the bundle written for that set, if one was. */
export function earlierOutsideSet(db: Db, containerId: string, key: string | null): { seen: boolean; bundle: string | null } {
  if (key === null) return { seen: false, bundle: null };
  const rows = db.prepare('SELECT bundle FROM running_drift WHERE container_id = ? AND outside_key = ?').all(containerId, key) as Array<{ bundle: string | null }>;
  return { seen: rows.length > 0, bundle: rows.find((r) => r.bundle !== null)?.bundle ?? null };
}

/** Keeps the last KEEP_PER_CONTAINER checks of each container, and (when the container
 *  list is complete) only the checks of containers that still exist. A removed
 *  container's bundles stay on disk: they are evidence. */
export function thinRunningDrift(db: Db, existingIds: readonly string[] | null, keep = KEEP_PER_CONTAINER): void {
  db.transaction(() => {
    if (existingIds !== null) db.prepare('DELETE FROM running_drift WHERE container_id NOT IN (SELECT value FROM json_each(?))').run(JSON.stringify(existingIds));
    db.prepare(
      'DELETE FROM running_drift WHERE id IN (SELECT id FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY container_id ORDER BY checked_at DESC, id DESC) AS n FROM running_drift) WHERE n > ?)',
    ).run(keep);
  })();
}
