// Drift collector: `docker diff` of the containers a prune would remove. It walks the
// whole layer under the container's lock, so an exited container's answer is kept in
// the state store while its change token holds.

import pMap from 'p-map';
import { changesFrom, type Change } from '../core/drift.js';
import { isExited, type ContainerFacts } from '../core/model.js';
import type { EngineClient } from '../engine/client.js';
import { EngineUnreachableError } from '../errors.js';

/** What earlier runs learnt of exited containers' changes (the state store keeps it). */
export interface ChangesCache {
  lookup(id: string, changeToken: string): Change[] | null;
  save(id: string, changeToken: string, changes: Change[]): void;
}

/** Changes per container id; an Error where the engine would not say. */
export async function collectChanges(client: EngineClient, containers: ContainerFacts[], cache: ChangesCache | null): Promise<Map<string, Change[] | Error>> {
  const result = new Map<string, Change[] | Error>();
  await pMap(
    containers,
    async (c) => {
      // A running (or paused, restarting) container's drift changes without its change
      // token changing: only an exited one's answer may be kept (RUNNING_DRIFT, issue #13).
      const cacheable = c.changeToken && cache && isExited(c.state);
      const cached = cacheable ? cache.lookup(c.id, c.changeToken!) : null;
      if (cached) return void result.set(c.id, cached);
      try {
        const changes = changesFrom(await client.containerChanges(c.id));
        if (cacheable) cache.save(c.id, c.changeToken!, changes);
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
