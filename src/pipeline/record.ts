// Record: the run written back into the store (history, containers' cache, the df
// answer). A store that fails here (a full disk, say) costs the history of this run,
// never its report or its actions: the failure is a warning.

import { recordExitedCache, recordUsage } from '../state/cache.js';
import { recordRun } from '../state/history.js';
import { isDamaged, isStorageFailure, setStoreEngineId, storeEngineId } from '../state/store.js';
import type { Pass } from './gather.js';
import { storeProblem } from './store-writes.js';
import { settleMemory, type Run } from './run.js';

export function record(run: Run, pass: Pass): void {
  const { snapshot } = pass;
  if (pass.foreignStore) return;
  try {
    if (snapshot.engine && storeEngineId(run.db) === null) setStoreEngineId(run.db, snapshot.engine.id);
    recordRun(run.db, snapshot);
    recordExitedCache(run.db, snapshot.containers, !snapshot.failures.some((f) => f.collector === 'containers'));
    if (snapshot.usage && snapshot.usage !== pass.reusedUsage) recordUsage(run.db, snapshot.usage);
  } catch (error) {
    // A damaged store ends the run, which moves it aside (pipeline/store.ts).
    if (isDamaged(error)) throw error;
    const code = (error as { code?: string }).code;
    storeProblem(run, `could not record this run in the state store (${isStorageFailure(error) ? code : (error as Error).message}): its history misses this run`);
  }
  settleMemory(run, snapshot.containers.length);
}
