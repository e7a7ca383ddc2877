// The state store as commands use it: find it, lock it for the run, open it, and always
// let go of it, whatever happens in between.

import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname } from 'node:path';
import type { Io } from '../commands/io.js';
import { acquireRunLock } from './lock.js';
import { defaultStatePath, openStore, type OpenedStore } from './store.js';

export interface StateOptions {
  /** --state PATH */
  state?: string;
  /** Seconds to wait for another run's lock. */
  wait: number;
}

export function statePathOf(options: StateOptions, io: Io): string {
  return options.state ?? defaultStatePath(io.env, process.getuid?.() ?? 0, homedir());
}

function warner(io: Io): (message: string) => void {
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
    const store = openStore(path, warner(io), now);
    try {
      return await work(store, now);
    } finally {
      store.db.close();
    }
  } finally {
    lock.release();
  }
}

/** Opens the store for reading only what earlier runs wrote (no lock: WAL readers never block). */
export function withStore<T>(options: StateOptions, io: Io, now: Date, work: (store: OpenedStore) => T): T {
  const store = openStore(statePathOf(options, io), warner(io), now);
  try {
    return work(store);
  } finally {
    store.db.close();
  }
}
