// The daemon's lease (issue #11): `watchdog watch` holds a lock in the runtime folder,
// keyed by its state store, for as long as it runs (the kernel drops it when the daemon
// dies, even by SIGKILL). `check` on the same store sees it and leaves acting and
// mailing to the daemon, so the two never act twice on one container or send one alert
// twice; `report` shows it.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { UnknownError } from '../errors.js';
import { runtimePath, pathKey } from '../files/runtime.js';
import { readDaemonRecord, type DaemonRecord } from '../state/daemon.js';
import { acquireRunLock, lockHeld, StateLockedError, type RunLock } from '../state/lock.js';
import type { Db } from '../state/store.js';
import type { Io } from './io.js';

function leasePath(statePath: string, io: Io): string {
  return join(runtimePath(io.env, 'locks'), `${pathKey(statePath)}.daemon`);
}

/** Taken once, at the daemon's start; a second daemon on the same store is refused. */
export function takeDaemonLease(statePath: string, io: Io): RunLock {
  const path = leasePath(statePath, io);
  mkdirSync(join(path, '..'), { recursive: true, mode: 0o700 });
  let lease: RunLock;
  try {
    lease = acquireRunLock(path, 0, statePath);
  } catch (error) {
    if (error instanceof StateLockedError) throw new UnknownError(`Another watchdog watch already runs for the state store ${statePath}; stop it first (systemctl stop docker-watchdog-watch), or give this one its own --state.`);
    throw error;
  }
  if (lease.unavailable) throw new UnknownError(`Cannot take the daemon's lease ${path}.lock (${lease.unavailable}); set WATCHDOG_RUNTIME_DIR to a writable folder of this user's own.`);
  return lease;
}

/** The daemon that holds the lease of this store now, as `report` and `check` show it;
 *  null when none does (a record left by a killed daemon is not a running daemon). */
export function runningDaemon(statePath: string, io: Io, db: Db): Omit<DaemonRecord, 'suspicious'> | null {
  if (!lockHeld(leasePath(statePath, io))) return null;
  // Held, but not yet recorded (the daemon's first pass is under way): it still runs.
  const record = readDaemonRecord(db);
  return record ? { pid: record.pid, since: record.since, lastFullPassAt: record.lastFullPassAt, polledLogs: record.polledLogs } : { pid: 0, since: io.now().toISOString(), lastFullPassAt: null, polledLogs: 0 };
}
