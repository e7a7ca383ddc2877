// The state store as commands use it: find it, lock it for the run, open it, and always
// let go of it, whatever happens in between.

import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname } from 'node:path';
import type { Io } from '../commands/io.js';
import { acquireRunLock } from './lock.js';
import { defaultStatePath, openStore, openStoreReadonly, type Db, type OpenedStore } from './store.js';

export interface StateOptions {
  /** --state PATH */
  state?: string;
  /** Seconds to wait for another run's lock. */
  wait: number;
}

export function statePathOf(options: StateOptions, io: Io): string {
  return options.state ?? defaultStatePath(io.env, process.getuid?.() ?? 0, homedir());
}

export function warner(io: Io): (message: string) => void {
  return (message) => io.stderr.write(`watchdog: warning: ${message}\n`);
}

/** Runs `work` holding the run lock on the store, so overlapping runs never interleave.
 *  `now` is read once the lock is held: a run that waited must not record its sample
 *  at the time of the run it waited for. */
export async function withLockedStore<T>(options: StateOptions, io: Io, work: (store: OpenedStore, now: Date) => Promise<T>): Promise<T> {
  const path = statePathOf(options, io);
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  } catch {
    // openStore says what is wrong and falls back to memory.
  }
  const lock = acquireRunLock(path, options.wait * 1000);
  try {
    const now = io.now();
    if (lock.unavailable) warner(io)(`cannot lock the state store ${path} (${lock.unavailable}); running without history this time`);
    const store = lock.unavailable ? openStore(':memory:', warner(io), now) : openStore(path, warner(io), now);
    try {
      return await work(store, now);
    } finally {
      store.db.close();
    }
  } finally {
    lock.release();
  }
}

/** Reads what earlier runs wrote, without creating, migrating or locking anything
 *  (WAL readers never block a run). `work` gets null when there is no store yet. */
export function withStoreReadonly<T>(options: StateOptions, io: Io, work: (db: Db | null, path: string) => T): T {
  const path = statePathOf(options, io);
  const db = openStoreReadonly(path);
  try {
    return work(db, path);
  } finally {
    db?.close();
  }
}
