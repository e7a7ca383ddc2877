// The modes of containers' changed files, for SETUID_DRIFT (core/setuid.ts): one
// HEAD /containers/{id}/archive per path. The engine takes the container's lock for each
// (and mounts its filesystem if it is not running), so the requests go one after
// another, one container at a time, at most drift.maxModeChecks per container. An
// exited container's answer is kept in the state store while its change token holds.

import type { Change } from '../core/drift.js';
import { isExited, type ContainerFacts } from '../core/model.js';
import { modeCandidates, modeCheck, type ModeCheck } from '../core/setuid.js';
import type { EngineClient } from '../engine/client.js';
import { EngineUnreachableError } from '../errors.js';

/** What earlier runs learnt of exited containers' modes (the state store keeps it,
 *  beside their changes). */
export interface ModesCache {
  lookup(id: string, changeToken: string): ModeCheck | null;
  save(id: string, changeToken: string, check: ModeCheck): void;
}

/** Whether a cached check answers for this limit: one that checked every path does,
 *  one cut at another limit does not (drift.maxModeChecks was changed since). */
const stillAnswers = (check: ModeCheck, limit: number) => check.unchecked === 0 || check.limit === limit;

/**
 * The mode check per container id, for those whose changes were read; an Error where
 * the engine would not say (a drift that is only half checked is not called clean).
 * Containers with a read-only root filesystem are left out: nothing shows in their
 * `docker diff` (core/drift.ts calls their drift not applicable).
 */
export async function collectModes(
  client: EngineClient,
  containers: ContainerFacts[],
  changes: ReadonlyMap<string, Change[] | Error>,
  maxModeChecks: number,
  cache: ModesCache | null,
): Promise<Map<string, ModeCheck | Error>> {
  const result = new Map<string, ModeCheck | Error>();
  for (const c of containers) {
    const found = changes.get(c.id);
    if (!found || found instanceof Error || c.readonlyRootfs) continue;
    // A running container's files change without its change token changing (so does
    // its `docker diff`, which collectChanges must not cache either): only exited, dead
    // or created ones are cached.
    const cacheable = c.changeToken && cache && isExited(c.state);
    const cached = cacheable ? cache.lookup(c.id, c.changeToken!) : null;
    if (cached && stillAnswers(cached, maxModeChecks)) {
      result.set(c.id, cached);
      continue;
    }
    const candidates = modeCandidates(found);
    const asked = candidates.slice(0, maxModeChecks);
    const modes = new Map<string, number | null>();
    try {
      for (const path of asked) modes.set(path, (await client.containerPathStat(c.id, path))?.mode ?? null);
    } catch (error) {
      if (error instanceof EngineUnreachableError) throw error;
      result.set(c.id, new Error(`the modes of its changed files could not be read (${(error as Error).message})`));
      continue;
    }
    const check = modeCheck(modes, candidates.length - asked.length, maxModeChecks);
    if (cacheable) cache.save(c.id, c.changeToken!, check);
    result.set(c.id, check);
  }
  return result;
}
