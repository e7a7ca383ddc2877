// Drift collector: `docker diff` of the containers a prune would remove. It walks the
// whole layer under the container's lock, so an exited container's answer is kept in
// the state store while its change token holds.

import pMap from 'p-map';
import { changesFrom, type Change } from '../core/drift.js';
import type { ContainerFacts } from '../core/model.js';
import type { EngineClient } from '../engine/client.js';
import { EngineUnreachableError } from '../errors.js';
import type { Db } from '../state/store.js';

/** Changes per container id; an Error where the engine would not say. */
export async function collectChanges(client: EngineClient, containers: ContainerFacts[], db: Db | null): Promise<Map<string, Change[] | Error>> {
  const select = db?.prepare('SELECT changes FROM changes_cache WHERE container_id = ? AND change_token = ?');
  const save = db?.prepare('INSERT OR REPLACE INTO changes_cache VALUES (?, ?, ?)');
  const result = new Map<string, Change[] | Error>();
  await pMap(
    containers,
    async (c) => {
      const cached = c.changeToken && select ? (select.get(c.id, c.changeToken) as { changes: string } | undefined) : undefined;
      if (cached) return void result.set(c.id, JSON.parse(cached.changes) as Change[]);
      try {
        const changes = changesFrom(await client.containerChanges(c.id));
        if (c.changeToken && save) save.run(c.id, c.changeToken, JSON.stringify(changes));
        result.set(c.id, changes);
      } catch (error) {
        if (error instanceof EngineUnreachableError) throw error;
        result.set(c.id, error as Error);
      }
    },
    { concurrency: 2 },
  );
  return result;
}
