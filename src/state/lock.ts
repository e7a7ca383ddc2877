// One run at a time per state store. A timer firing while someone runs the watchdog by
// hand must neither interleave writes nor act twice. The lock is an exclusive SQLite
// transaction on a side file: the kernel drops it when its holder dies, even by
// SIGKILL, so a crashed run never leaves a stale lock behind.

import { existsSync, rmSync } from 'node:fs';
import { UnknownError } from '../errors.js';
import { Database, type Db } from './sqlite.js';
import { isDamaged } from './store.js';

/** Exit 3: the run could not do its job, which is "unknown" to a monitoring system. */
export class StateLockedError extends UnknownError {}

export interface RunLock {
  release(): void;
  /** No lock could be taken at all (the state directory is not writable): the run
   *  goes on without a store. */
  unavailable: string | null;
  /** Another run held it, and this one waited for it. */
  waited: boolean;
}

/** The lock, tried first without waiting, so that the run knows whether it waited for
 *  another: what it asked the engine before then is stale (pipeline/run.ts). */
function lockTelling(path: string, waitMs: number): { db: Db; waited: boolean } {
  try {
    return { db: tryLock(path, 0), waited: false };
  } catch (error) {
    // Not allowed to wait (`--wait 0`, the daemon's lease): busy is the answer.
    if ((error as { code?: string }).code !== 'SQLITE_BUSY' || waitMs <= 0) throw error;
    return { db: tryLock(path, waitMs), waited: true };
  }
}

function tryLock(path: string, waitMs: number): Db {
  const db = new Database(path);
  try {
    db.pragma(`busy_timeout = ${Math.max(0, Math.round(waitMs))}`);
    db.exec('BEGIN EXCLUSIVE');
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/** Locks `<statePath>.lock`; `store` names the store in the error when the lock is a
 *  stand-in for it (pipeline/store.ts). */
export function acquireRunLock(statePath: string, waitMs: number, store = statePath): RunLock {
  if (statePath === ':memory:') return { release: () => {}, unavailable: null, waited: false };
  const path = `${statePath}.lock`;
  let held: { db: Db; waited: boolean };
  try {
    held = lockTelling(path, waitMs);
  } catch (error) {
    if ((error as { code?: string }).code === 'SQLITE_BUSY') {
      throw new StateLockedError(
        `Another watchdog run holds the lock on ${store} and did not finish within ${Math.round(waitMs / 1000)} s; try again when it is done, or give this run its own --state.`,
      );
    }
    if (isDamaged(error)) {
      // The lock file holds nothing of value: something overwrote it. Start it again.
      rmSync(path, { force: true });
      held = lockTelling(path, waitMs);
    } else {
      return { release: () => {}, unavailable: (error as Error).message, waited: false };
    }
  }
  const { db, waited } = held;
  return {
    unavailable: null,
    waited,
    release: () => {
      if (!db.open) return;
      db.exec('ROLLBACK');
      db.close();
    },
  };
}

/** Whether someone holds the lock at `<statePath>.lock` right now, asked without
 *  waiting and without creating it: the daemon's lease (issue #11). */
export function lockHeld(statePath: string): boolean {
  const path = `${statePath}.lock`;
  if (!existsSync(path)) return false;
  let db: Db;
  try {
    db = tryLock(path, 0);
  } catch (error) {
    return (error as { code?: string }).code === 'SQLITE_BUSY';
  }
  db.exec('ROLLBACK');
  db.close();
  return false;
}
