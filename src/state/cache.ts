// What was measured about containers, kept between runs. An exited container does not
// change, so its inspect facts, footprint and log stay valid until it runs again, which
// rewrites its config.v2.json: the change token (see collect/containers.ts). A running
// container's inspect facts stay valid the same way (issue #14); its log and footprint
// are not kept. The watchdog's own rotation of an exited container's log forgets its
// entry. The table keeps its first name, exited_cache.

import type { Change } from '../core/drift.js';
import type { ContainerFacts, ExitedFacts, Footprint, LogFiles, Usage } from '../core/model.js';
import { isExited } from '../core/model.js';
import type { ModeCheck } from '../core/setuid.js';
import type { Db } from './store.js';

/** The containers' cache that collect/containers.ts asks for, one indexed row at
 *  a time: reading all of them first held every row's facts as text beside the parsed
 *  facts, and a warm report at 5,000 exited containers peaked at 112 MB instead of
 *  104 MB, in the same time (issue #14). */
export function sqliteExitedCache(db: Db): {
  lookup(id: string, changeToken: string): { facts: ExitedFacts; footprint: Footprint | null; logFiles: LogFiles | null } | null;
  inOneRead<T>(work: () => T): T;
} {
  const select = db.prepare('SELECT facts, footprint_bytes AS bytes, footprint_inodes AS inodes, log_files AS logFiles FROM exited_cache WHERE container_id = ? AND change_token = ?');
  return {
    lookup(id, changeToken) {
      const row = select.get(id, changeToken) as { facts: string; bytes: number | null; inodes: number | null; logFiles: string | null } | undefined;
      if (!row) return null;
      return {
        facts: JSON.parse(row.facts) as ExitedFacts,
        footprint: row.bytes === null ? null : { bytes: row.bytes, inodes: row.inodes ?? 0 },
        logFiles: row.logFiles === null ? null : (JSON.parse(row.logFiles) as LogFiles),
      };
    },
    // Each statement outside a transaction is a read of its own, with its own locks on
    // the WAL's index (two fcntl calls): 1,050 lookups took 4.2 ms that way and 1.9 ms
    // in one read (medians of 15, better-sqlite3 alone; issue #14).
    inOneRead: (work) => (db.inTransaction ? work() : db.transaction(work)()),
  };
}

/** `docker diff` of exited containers while their change token holds: the cache
 *  collect/drift.ts asks for. */
export function sqliteChangesCache(db: Db): { lookup(id: string, changeToken: string): Change[] | null; save(id: string, changeToken: string, changes: Change[]): void } {
  const select = db.prepare('SELECT changes FROM changes_cache WHERE container_id = ? AND change_token = ?');
  // Named columns: the row's modes (step 9) start empty again with new changes.
  const upsert = db.prepare('INSERT OR REPLACE INTO changes_cache (container_id, change_token, changes) VALUES (?, ?, ?)');
  return {
    lookup: (id, changeToken) => {
      const row = select.get(id, changeToken) as { changes: string } | undefined;
      return row ? (JSON.parse(row.changes) as Change[]) : null;
    },
    save: (id, changeToken, changes) => void upsert.run(id, changeToken, JSON.stringify(changes)),
  };
}

/** The modes of exited containers' changed files while their change token holds: the
 *  cache collect/modes.ts asks for. Kept on the row of their changes, so a check is
 *  only ever saved for the changes it was made of. */
export function sqliteModesCache(db: Db): { lookup(id: string, changeToken: string): ModeCheck | null; save(id: string, changeToken: string, check: ModeCheck): void } {
  const select = db.prepare('SELECT modes FROM changes_cache WHERE container_id = ? AND change_token = ? AND modes IS NOT NULL');
  const update = db.prepare('UPDATE changes_cache SET modes = ? WHERE container_id = ? AND change_token = ?');
  return {
    lookup: (id, changeToken) => {
      const row = select.get(id, changeToken) as { modes: string } | undefined;
      return row ? (JSON.parse(row.modes) as ModeCheck) : null;
    },
    save: (id, changeToken, check) => void update.run(JSON.stringify(check), id, changeToken),
  };
}

/** The last `docker system df` answer, if it is younger than `maxAgeMs`. */
export function recentUsage(db: Db, now: Date, maxAgeMs: number): Usage | null {
  const row = db.prepare('SELECT measured_at AS at, usage FROM usage_cache WHERE id = 1').get() as { at: number; usage: string } | undefined;
  if (!row || now.getTime() - row.at >= maxAgeMs || row.at > now.getTime()) return null;
  return JSON.parse(row.usage) as Usage;
}

export function recordUsage(db: Db, usage: Usage): void {
  db.prepare('INSERT OR REPLACE INTO usage_cache VALUES (1, ?, ?)').run(Date.parse(usage.measuredAt), JSON.stringify(usage));
}

/** Saves what this run measured about containers and forgets removed ones. Entries
 *  whose token is already stored are left as they are (a warm run on a host with a
 *  thousand exited containers writes nothing for them), unless their footprint was not
 *  measured then and is now (containerd was down: issue #10). An active container's
 *  row holds its inspect facts only. */
export function recordExitedCache(db: Db, containers: ContainerFacts[], listComplete: boolean): void {
  const upsert = db.prepare('INSERT OR REPLACE INTO exited_cache (container_id, finished_at, change_token, facts, footprint_bytes, footprint_inodes, log_files) VALUES (?, ?, ?, ?, ?, ?, ?)');
  const rows = db.prepare('SELECT container_id AS id, change_token AS token, footprint_bytes AS footprint FROM exited_cache').all() as Array<{ id: string; token: string; footprint: number | null }>;
  const stored = new Map(rows.map((r) => [r.id, r]));
  db.transaction(() => {
    for (const c of containers) {
      if (c.changeToken === null) continue;
      // An active container's row holds neither: its footprint is not measured, and its
      // log grows.
      const exited = isExited(c.state);
      const footprint = exited ? c.footprint : null;
      const before = stored.get(c.id);
      if (before?.token === c.changeToken && (before.footprint !== null || footprint === null)) continue;
      const { logFiles, sizeRwBytes: _s, footprint: _f, changeToken, ...facts } = c;
      upsert.run(c.id, c.finishedAt, changeToken, JSON.stringify(facts), footprint?.bytes ?? null, footprint?.inodes ?? null, exited && logFiles ? JSON.stringify(logFiles) : null);
    }
    if (listComplete) {
      const listed = JSON.stringify(containers.map((c) => c.id));
      db.prepare('DELETE FROM exited_cache WHERE container_id NOT IN (SELECT value FROM json_each(?))').run(listed);
      // docker diff is cached only while a container is exited: one that runs again has
      // none worth keeping.
      const exited = JSON.stringify(containers.filter((c) => isExited(c.state)).map((c) => c.id));
      db.prepare('DELETE FROM changes_cache WHERE container_id NOT IN (SELECT value FROM json_each(?))').run(exited);
    }
  })();
}

/** Forgets what was measured about a container whose files were changed by us (its log
 *  rotated): its footprint includes that log. */
export function forgetExited(db: Db, containerId: string): void {
  db.prepare('DELETE FROM exited_cache WHERE container_id = ?').run(containerId);
}
