// The watchdog's runtime folder: small facts that must outlive a killed run but not a
// reboot, and must stay writable when the disk under the state store and the archives
// is full (issue #9): the freeze ledger, the stand-in run lock, the alert state; and
// what saves a run work (issue #14): when the store was last checked for damage, which
// dockerd serves a socket. A tmpfs: /run/docker-watchdog for root (systemd keeps it
// with RuntimeDirectory= and RuntimeDirectoryPreserve=yes), $XDG_RUNTIME_DIR/
// docker-watchdog for other users, else /dev/shm/docker-watchdog-UID.
// WATCHDOG_RUNTIME_DIR overrides it (the tests' own).

import { lstatSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';

export function runtimeDir(env: NodeJS.ProcessEnv, uid: number): string {
  if (env.WATCHDOG_RUNTIME_DIR) return env.WATCHDOG_RUNTIME_DIR;
  if (uid === 0) return '/run/docker-watchdog';
  return env.XDG_RUNTIME_DIR ? join(env.XDG_RUNTIME_DIR, 'docker-watchdog') : sharedMemoryDir(uid);
}

const sharedMemoryDir = (uid: number) => `/dev/shm/docker-watchdog-${uid}`;

/** Why the runtime folder must not be used, or null. /dev/shm is writable by everyone:
 *  a folder made there by another user could feed this one a stand-in lock, freeze
 *  records or an alert state that silences its alerts. Only this user's own 0700 folder
 *  (or none yet) will do. The other places are the user's or root's alone. */
export function runtimeDirProblem(env: NodeJS.ProcessEnv, uid: number): string | null {
  const dir = runtimeDir(env, uid);
  if (dir !== sharedMemoryDir(uid)) return null;
  const stat = lstatSync(dir, { throwIfNoEntry: false });
  if (!stat || (stat.isDirectory() && stat.uid === uid && (stat.mode & 0o077) === 0)) return null;
  return `the runtime folder ${dir} is not this user's own (${stat.isDirectory() ? `owner uid ${stat.uid}, mode ${(stat.mode & 0o777).toString(8)}` : 'not a folder'})`;
}

/** A short name for a path (a state store, an engine's socket), for what the runtime
 *  folder keeps per path: the start of its SHA-256, the same name every version gave
 *  (a daemon still running an older one holds its lease under it). By a small library,
 *  not node:crypto, which a report would load for this alone (builtins.ts). */
export function pathKey(path: string): string {
  return bytesToHex(sha256(utf8ToBytes(resolve(path)))).slice(0, 16);
}

/** A path in the runtime folder (made by whoever writes there first, 0700). */
export function runtimePath(env: NodeJS.ProcessEnv, ...parts: string[]): string {
  return join(runtimeDir(env, process.getuid?.() ?? 0), ...parts);
}

/** A small fact kept in the runtime folder from one run to the next; like the processes
 *  it may name, it is gone after a reboot. One that cannot be read is unknown, and one
 *  that cannot be written is not kept: the next run finds it out again. */
export interface RuntimeFact {
  read(): string | null;
  write(value: string | null): void;
}

export function runtimeFact(env: NodeJS.ProcessEnv, ...parts: string[]): RuntimeFact {
  const path = runtimePath(env, ...parts);
  return {
    read: () => {
      try {
        return readFileSync(path, 'utf8');
      } catch {
        return null;
      }
    },
    write: (value) => {
      try {
        if (value === null) return rmSync(path, { force: true });
        mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
        writeFileSync(path, value, { mode: 0o600 });
      } catch {
        // See above.
      }
    },
  };
}
