// The watchdog's runtime folder: small facts that must outlive a killed run but not a
// reboot, and must stay writable when the disk under the state store and the archives
// is full (issue #9). A tmpfs: /run for root, the user's XDG_RUNTIME_DIR otherwise.
// WATCHDOG_RUNTIME_DIR overrides it (the tests give each engine its own).

import { join } from 'node:path';

export function runtimeDir(env: NodeJS.ProcessEnv, uid: number): string {
  if (env.WATCHDOG_RUNTIME_DIR) return env.WATCHDOG_RUNTIME_DIR;
  if (uid === 0) return '/run/docker-watchdog';
  return env.XDG_RUNTIME_DIR ? join(env.XDG_RUNTIME_DIR, 'docker-watchdog') : `/tmp/docker-watchdog-${uid}`;
}

/** A path in the runtime folder (made by whoever writes there first, 0700). */
export function runtimePath(env: NodeJS.ProcessEnv, ...parts: string[]): string {
  return join(runtimeDir(env, process.getuid?.() ?? 0), ...parts);
}
