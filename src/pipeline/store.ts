// The state store as a run holds it: found, locked for the run, opened, and always let
// go of, whatever happens in between. Apart from pipeline/run.ts so that the commands
// that need no engine (journal, alert) do not load the engine client.

import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { DAY } from '../core/durations.js';
import { ConfigError, reasonOf, UnknownError } from '../errors.js';
import { pathKey, runtimeDirProblem, runtimeFact, runtimePath, type RuntimeFact } from '../files/runtime.js';
import { acquireRunLock, StateLockedError, type RunLock } from '../state/lock.js';
import { defaultStatePath, isDamaged, moveAside, openStore, openStoreReadonly, type Db } from '../state/store.js';
import { warner, type Io } from './io.js';

export interface StoreOptions {
  /** --state PATH */
  state?: string;
  /** Seconds to wait for another run's lock. */
  wait: number;
}

export function statePathOf(options: StoreOptions, io: Io): string {
  return options.state ?? defaultStatePath(io.env, process.getuid?.() ?? 0, homedir());
}

/** The store as a run holds it, and what went wrong with it: each problem is a
 *  STATE_UNAVAILABLE finding of the run (the run goes on, without history). */
export interface HeldStore {
  db: Db;
  /** Where the store is meant to be, even when the run holds it in memory: names what
   *  the runtime folder keeps for it (the alert state's stand-in). */
  path: string;
  /** Appended to while the run goes on (a write that fails on a full disk). */
  problems: string[];
  /** The run waited for another's lock: the host may have changed meanwhile. */
  waited: boolean;
}

/** The run lock's stand-in, in the runtime folder: writable when the store's own
 *  folder is not (read-only, or full before the lock file exists). One per store. */
function standInLockPath(statePath: string, io: Io): string {
  const folder = runtimePath(io.env, 'locks');
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  return join(folder, pathKey(statePath));
}

/**
 * The run lock: on the stand-in first, always, then on the store's own lock file. A run
 * that could take only one of them still excludes every other run, whichever one they
 * could take (a store's folder may become writable between two runs). With neither, the
 * run does not go on: two runs must never act at once (issue #9).
 */
function lockRun(path: string, io: Io, waitMs: number, problems: string[]): RunLock {
  if (path === ':memory:') return acquireRunLock(path, waitMs);
  let where = 'in the runtime folder';
  let standIn: RunLock;
  try {
    const standInPath = standInLockPath(path, io);
    where = `${standInPath}.lock`;
    standIn = acquireRunLock(standInPath, waitMs, path);
  } catch (error) {
    if (error instanceof StateLockedError) throw error;
    standIn = { release: () => {}, unavailable: (error as Error).message, waited: false };
  }
  let own: RunLock;
  try {
    own = acquireRunLock(path, waitMs);
  } catch (error) {
    standIn.release();
    throw error;
  }
  if (own.unavailable && standIn.unavailable) {
    throw new StateLockedError(
      `Cannot lock the state store ${path} (${own.unavailable}) nor its stand-in ${where} (${standIn.unavailable}); not running, so that two runs never act at once: make ${dirname(path)} writable or give --state a writable path.`,
    );
  }
  if (own.unavailable) problems.push(`cannot lock the state store ${path} (${own.unavailable}); this run holds only its stand-in ${where} and runs without history`);
  return {
    unavailable: null,
    waited: standIn.waited || own.waited,
    release: () => {
      own.release();
      standIn.release();
    },
  };
}

/**
 * When a run reads every page of the store for damage (issue #14). The check takes time
 * in proportion to the store, and ran on every run and every daemon step: 2.5 ms of a
 * warm report for a 1.9 MB store (1,000 exited containers, a year of a 5-minute timer),
 * 79 ms for 105 MB (90 days of a CI host's journal, 5,000 prunes a day). It is due once
 * a day and after a reboot (its time is kept in the runtime folder, a tmpfs unless
 * WATCHDOG_RUNTIME_DIR names another). Between checks, damage shows when a query meets
 * it (withStore): that run moves the store aside and ends with exit 3.
 */
const CHECK_EVERY_MS = DAY;

/** Whether a check is due: the fact holds the last one's time, in ms. */
function checkDue(checked: RuntimeFact, now: Date): boolean {
  const at = Number(checked.read() ?? Number.NaN);
  return !(Number.isFinite(at) && at <= now.getTime() && now.getTime() - at < CHECK_EVERY_MS);
}

/** What a run that met damage in its store says, once the store is moved aside (the
 *  run still holds its lock): it cannot finish its work on a store that lost part of
 *  it, and nothing it did is lost (journal entries that cannot be written go to
 *  stderr, pipeline/store-writes.ts). The next run starts a fresh store. */
function damagedStore(path: string, db: Db, error: unknown, now: Date): UnknownError {
  const reason = reasonOf(error);
  db.close();
  try {
    const aside = moveAside(path, now);
    return new UnknownError(`The state store ${path} is damaged (${reason}): moved it to ${aside}; the next run starts a fresh one.`);
  } catch (second) {
    return new UnknownError(`The state store ${path} is damaged (${reason}) and could not be moved aside (${reasonOf(second)}); move or delete it, and the next run starts a fresh one.`);
  }
}

/** Runs `work` holding the run lock on the store, so overlapping runs never interleave.
 *  `now` is read once the lock is held: a run that waited must not record its sample
 *  at the time of the run it waited for. */
export async function withStore<T>(options: StoreOptions, io: Io, work: (store: HeldStore, now: Date) => Promise<T>): Promise<T> {
  const path = statePathOf(options, io);
  const problems: string[] = [];
  const foreign = runtimeDirProblem(io.env, process.getuid?.() ?? 0);
  if (foreign) throw new ConfigError(`Not running: ${foreign}; remove it, or set XDG_RUNTIME_DIR or WATCHDOG_RUNTIME_DIR to a folder of this user's own.`);
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  } catch {
    // openStore says what is wrong and falls back to memory.
  }
  const lock = lockRun(path, io, options.wait * 1000, problems);
  try {
    const now = io.now();
    const checked = runtimeFact(io.env, 'checked', pathKey(path));
    const check = checkDue(checked, now);
    // The store cannot be opened where its lock could not be taken.
    const store = openStore(problems.length > 0 ? ':memory:' : path, (problem) => problems.push(problem), now, check);
    if (check && store.path === path) checked.write(String(now.getTime()));
    for (const problem of problems) warner(io)(problem);
    try {
      return await work({ db: store.db, path, problems, waited: lock.waited }, now);
    } catch (error) {
      if (!isDamaged(error) || store.path !== path) throw error;
      throw damagedStore(path, store.db, error, now);
    } finally {
      if (store.db.open) store.db.close();
    }
  } finally {
    lock.release();
  }
}

/** Reads what earlier runs wrote, without creating, migrating or locking anything
 *  (WAL readers never block a run). `work` gets null when there is no store yet. */
export function withStoreReadonly<T>(options: StoreOptions, io: Io, work: (db: Db | null, path: string) => T): T {
  const path = statePathOf(options, io);
  let db: Db | null = null;
  try {
    db = openStoreReadonly(path);
    return work(db, path);
  } catch (error) {
    // Only reading, it leaves the store where it is.
    if (!isDamaged(error)) throw error;
    throw new UnknownError(`The state store ${path} is damaged (${reasonOf(error)}); move it away, and the next run starts a fresh one.`);
  } finally {
    db?.close();
  }
}
