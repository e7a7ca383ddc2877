// Drift: what `docker diff` says of containers, against drift.allow and each one's
// watchdog.drift.allow label, and the modes of their changed files (SETUID_DRIFT).
// Shared by prune planning (the candidates), `watchdog drift` (which also writes the
// forensic bundles of suspicious ones) and `watchdog audit`.

import { writeForensicBundle } from '../act/forensics.js';
import { collectChanges } from '../collect/drift.js';
import { collectModes } from '../collect/modes.js';
import type { Action, DriftRow } from '../core/actions.js';
import { containerDrift, type Change, type Drift } from '../core/drift.js';
import { isActive, type ContainerFacts } from '../core/model.js';
import { EngineUnreachableError } from '../errors.js';
import { sqliteChangesCache, sqliteModesCache } from '../state/cache.js';
import { storeWrite } from './store-writes.js';
import type { Run } from './run.js';

/** Each container's changes and their classification, or why they could not be read. */
export type DriftById = ReadonlyMap<string, { changes: Change[]; drift: Drift } | Error>;

export async function driftOf(run: Run, containers: ContainerFacts[]): Promise<DriftById> {
  const cache = sqliteChangesCache(run.db);
  const changes = await collectChanges(run.client, containers, {
    lookup: cache.lookup,
    // A cache that cannot be written (a full disk) costs the next run a `docker diff`.
    save: (id, token, found) => void storeWrite(run, 'the drift cache', () => cache.save(id, token, found)),
  });
  // Here, not in a caller: whoever asks for drift (running containers' too) gets the
  // mode check with it.
  const modesCache = sqliteModesCache(run.db);
  const modes = await collectModes(run.client, containers, changes, run.config.drift.maxModeChecks, {
    lookup: modesCache.lookup,
    save: (id, token, check) => void storeWrite(run, 'the drift cache', () => modesCache.save(id, token, check)),
  });
  const result = new Map<string, { changes: Change[]; drift: Drift } | Error>();
  for (const c of containers) {
    const found = changes.get(c.id) ?? new Error('the engine did not answer');
    const check = modes.get(c.id);
    // Changes whose modes could not be read are not a drift: a prune holds the container
    // as for one whose changes could not be read.
    if (found instanceof Error) result.set(c.id, found);
    else if (check instanceof Error) result.set(c.id, check);
    else result.set(c.id, { changes: found, drift: containerDrift(found, c, run.config.drift.allow, check) });
  }
  return result;
}

/** `watchdog drift`: each container's drift, and (unless dryRun) the forensic bundle of
 *  each suspicious one. A bundle that cannot be written is a failed action. */
export async function driftWithBundles(run: Run, containers: ContainerFacts[], dryRun: boolean): Promise<{ rows: DriftRow[]; actions: Action[] }> {
  const drifts = await driftOf(run, containers);
  const rows: DriftRow[] = [];
  const actions: Action[] = [];
  for (const c of containers) {
    const found = drifts.get(c.id)!;
    if (found instanceof Error) {
      rows.push({ containerId: c.id, name: c.name, drift: null, error: found.message, bundle: null });
      continue;
    }
    let bundle: string | null = null;
    if (found.drift.status === 'suspicious' && !dryRun) {
      try {
        const inspect = await run.client.inspectContainer(c.id);
        // Removed since the list: there is nothing left to keep.
        // A running container's bundle is named by the time it was taken: its finish time
        // is an earlier run's, whose bundle (if any) holds an earlier drift.
        if (inspect) bundle = (await writeForensicBundle(run.client, c, inspect, found.changes, run.config.logs.archiveDir, isActive(c.state) ? run.io.now() : undefined)).folder;
      } catch (error) {
        if (error instanceof EngineUnreachableError) throw error;
        actions.push({ action: 'bundle', target: c.name, containerId: c.id, outcome: 'failed', message: `its forensic bundle could not be written (${(error as Error).message})`, bytesFreed: null, news: true, finding: { code: 'ACTION_FAILED', severity: 'warning' } });
      }
    }
    rows.push({ containerId: c.id, name: c.name, drift: found.drift, error: null, bundle });
  }
  return { rows, actions };
}
