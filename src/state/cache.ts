// What was measured about exited containers, kept between runs. An exited container
// does not change, so its inspect facts and footprint stay valid until it runs again,
// which rewrites its config.v2.json: the change token (see collect/containers.ts).

import type { ContainerFacts, Footprint } from '../core/model.js';
import { isExited } from '../core/model.js';
import type { Db } from './store.js';

/** The inspect facts of a container, without what is measured afresh every run. */
export type CachedFacts = Omit<ContainerFacts, 'logFiles' | 'sizeRwBytes' | 'footprint' | 'changeToken'>;

export interface CachedExited {
  facts: CachedFacts;
  footprint: Footprint | null;
}

export interface ExitedCache {
  /** The entry for this container if its change token still matches. */
  lookup(id: string, changeToken: string): CachedExited | null;
}

export function sqliteExitedCache(db: Db): ExitedCache {
  const select = db.prepare('SELECT facts, footprint_bytes AS bytes, footprint_inodes AS inodes FROM exited_cache WHERE container_id = ? AND change_token = ?');
  return {
    lookup(id, changeToken) {
      const row = select.get(id, changeToken) as { facts: string; bytes: number | null; inodes: number | null } | undefined;
      if (!row) return null;
      return { facts: JSON.parse(row.facts) as CachedFacts, footprint: row.bytes === null ? null : { bytes: row.bytes, inodes: row.inodes ?? 0 } };
    },
  };
}

/** Saves what this run measured about exited containers and forgets removed ones.
 *  Entries whose token is already stored are left as they are: a warm run on a host
 *  with a thousand exited containers writes nothing for them. */
export function recordExitedCache(db: Db, containers: ContainerFacts[], listComplete: boolean): void {
  const upsert = db.prepare('INSERT OR REPLACE INTO exited_cache VALUES (?, ?, ?, ?, ?, ?)');
  const stored = new Map((db.prepare('SELECT container_id AS id, change_token AS token FROM exited_cache').all() as Array<{ id: string; token: string }>).map((r) => [r.id, r.token]));
  db.transaction(() => {
    for (const c of containers) {
      if (!isExited(c.state) || c.changeToken === null || stored.get(c.id) === c.changeToken) continue;
      const { logFiles: _l, sizeRwBytes: _s, footprint, changeToken, ...facts } = c;
      upsert.run(c.id, c.finishedAt, changeToken, JSON.stringify(facts), footprint?.bytes ?? null, footprint?.inodes ?? null);
    }
    const kept = JSON.stringify(containers.filter((c) => isExited(c.state)).map((c) => c.id));
    if (listComplete) db.prepare('DELETE FROM exited_cache WHERE container_id NOT IN (SELECT value FROM json_each(?))').run(kept);
  })();
}
