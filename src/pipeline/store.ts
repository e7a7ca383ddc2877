// The state store as a run holds it: found, locked for the run, opened, and always let
// go of, whatever happens in between. Apart from pipeline/run.ts so that the commands
// that need no engine (journal, alert) do not load the engine client.

import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname } from 'node:path';
import { acquireRunLock } from '../state/lock.js';
import { defaultStatePath, openStore, openStoreReadonly, type Db } from '../state/store.js';
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

/** Runs `work` holding the run lock on the store, so overlapping runs never interleave.
 *  `now` is read once the lock is held: a run that waited must not record its sample
 *  at the time of the run it waited for. */
export async function withStore<T>(options: StoreOptions, io: Io, work: (db: Db, now: Date) => Promise<T>): Promise<T> {
  const path = statePathOf(options, io);
  const warn = warner(io);
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  } catch {
    // openStore says what is wrong and falls back to memory.
  }
  const lock = acquireRunLock(path, options.wait * 1000);
  try {
    const now = io.now();
    if (lock.unavailable) warn(`cannot lock the state store ${path} (${lock.unavailable}); running without history this time`);
    const store = openStore(lock.unavailable ? ':memory:' : path, warn, now);
    try {
      return await work(store.db, now);
    } finally {
      store.db.close();
    }
  } finally {
    lock.release();
  }
}

/** Reads what earlier runs wrote, without creating, migrating or locking anything
 *  (WAL readers never block a run). `work` gets null when there is no store yet. */
export function withStoreReadonly<T>(options: StoreOptions, io: Io, work: (db: Db | null, path: string) => T): T {
  const path = statePathOf(options, io);
  const db = openStoreReadonly(path);
  try {
    return work(db, path);
  } finally {
    db?.close();
  }
}
