// The journal: every action the watchdog takes (or, with --dry-run, would take), with
// its time, target, reason and the bytes it freed. Written by the enforcement commands
// (issue #4), read by `watchdog journal`.

import type Database from 'better-sqlite3';
import type { Db } from './store.js';

export interface JournalEntry {
  at: string;
  action: string;
  target: string;
  containerId: string | null;
  reason: string;
  outcome: 'done' | 'dry-run' | 'skipped' | 'failed';
  bytesFreed: number | null;
  details: string | null;
}

/** One INSERT per store, prepared once: a dry run journals why each of 10,000 exited
 *  containers is kept, and a statement prepared per entry held its native memory until
 *  a garbage collection that rarely came (`check --dry-run` at 10,000 peaked at 110 MB,
 *  and at 102 MB with one statement; issue #14). */
const inserts = new WeakMap<Db, Database.Statement>();

export function appendJournal(db: Db, entry: JournalEntry): void {
  let insert = inserts.get(db);
  if (!insert) inserts.set(db, (insert = db.prepare('INSERT INTO journal (at, action, target, container_id, reason, outcome, bytes_freed, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')));
  insert.run(
    Date.parse(entry.at),
    entry.action,
    entry.target,
    entry.containerId,
    entry.reason,
    entry.outcome,
    entry.bytesFreed,
    entry.details,
  );
}

/** Entries since `sinceMs`, oldest first. */
export function readJournal(db: Db, sinceMs: number): JournalEntry[] {
  const rows = db
    .prepare('SELECT at, action, target, container_id AS containerId, reason, outcome, bytes_freed AS bytesFreed, details FROM journal WHERE at >= ? ORDER BY at, id')
    .all(sinceMs) as Array<Omit<JournalEntry, 'at'> & { at: number }>;
  return rows.map((row) => ({ ...row, at: new Date(row.at).toISOString() }));
}
