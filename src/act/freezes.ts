// Which containers this watchdog froze (issue #9). A run killed with SIGKILL while a
// container is paused for the last copy of its log cannot thaw it; the next run must,
// and must know that the pause was the watchdog's, not an operator's. So the intent is
// written down before the pause and removed after the unpause: one small file per
// container and process in the runtime folder (files/runtime.ts), on a tmpfs, which
// still works when the disk is full and is gone after a reboot, as the pause is.
// Thawing is here too (`thaw`, `isPaused`): rotation thaws what it froze, and every
// run what a killed one left, so a run that only reports need not load rotation and
// its gzip (issue #14).

import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { EngineClient } from '../engine/client.js';

export interface Freeze {
  containerId: string;
  name: string;
  /** The watchdog process that paused it, and when that process started (a pid is
   *  reused: the start time tells a live holder from a stranger with its number). */
  pid: number;
  pidStartedAt: string | null;
  since: string;
  /** The DockerRootDir of the engine that paused it (issue #9); absent in entries of
   *  earlier versions. Two engines on one host can share an ID: before 23 it comes
   *  from /etc/docker/key.json, which every dockerd reads unless told otherwise, and 23
   *  keeps it on upgrade. Another engine's paused container answers 404 here, and
   *  would be taken for gone: its intent dropped, and the container never thawed. */
  dockerRootDir?: string;
}

export interface FreezeLedger {
  /** Writes the intent before the pause; throws if it cannot (then nothing is paused). */
  intend(containerId: string, name: string, now: Date): void;
  /** After the unpause: this process's intent for the container. Best effort: an entry
   *  left behind is an orphan the next run finds not paused, and drops. */
  forget(containerId: string): void;
  /** Freezes recorded by processes that are gone: theirs to thaw no more. */
  orphans(): Freeze[];
  /** Drops an orphan's entry (thawed, or found not frozen). */
  dismiss(freeze: Freeze): void;
}

/** The start time of a process (field 22 of /proc/PID/stat, clock ticks since boot). */
function processStartedAt(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count from its end.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

function isAlive(freeze: Freeze): boolean {
  try {
    process.kill(freeze.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  const startedAt = processStartedAt(freeze.pid);
  return startedAt === null || freeze.pidStartedAt === null || startedAt === freeze.pidStartedAt;
}

/** The ledger of the engine whose DockerRootDir is `dockerRootDir`, in `folder` (one
 *  per engine ID). Its orphans are its own entries and those that name no engine (an
 *  earlier version's); another engine's are left to that engine's runs. One file per
 *  container and process: two runs with their own stores may rotate one container,
 *  and neither may drop the other's intent. */
export function freezeLedger(folder: string, dockerRootDir: string): FreezeLedger {
  // dockerd cleans the path it is given (a trailing slash, say) only once the folder
  // exists: a first start and a restart may name one folder two ways.
  const ours = (freeze: Freeze) => freeze.dockerRootDir === undefined || resolve(freeze.dockerRootDir) === resolve(dockerRootDir);
  const fileOf = (containerId: string, pid: number) => join(folder, `${containerId}.${pid}.json`);
  const remove = (path: string) => {
    try {
      rmSync(path, { force: true });
    } catch {
      // Left for the next run, which finds it not paused and drops it.
    }
  };
  return {
    intend(containerId, name, now) {
      const freeze: Freeze = { containerId, name, pid: process.pid, pidStartedAt: processStartedAt(process.pid), since: now.toISOString(), dockerRootDir };
      mkdirSync(folder, { recursive: true, mode: 0o700 });
      // Whole or absent: a half-written intent would be unreadable, and never thawed.
      const path = fileOf(containerId, process.pid);
      writeFileSync(`${path}.tmp`, `${JSON.stringify(freeze)}\n`, { mode: 0o600 });
      renameSync(`${path}.tmp`, path);
    },
    forget: (containerId) => remove(fileOf(containerId, process.pid)),
    dismiss: (freeze) => remove(fileOf(freeze.containerId, freeze.pid)),
    orphans() {
      let names: string[];
      try {
        names = readdirSync(folder).filter((n) => /^[0-9a-f]{64}\.\d+\.json$/.test(n));
      } catch {
        return [];
      }
      return names.flatMap((n) => {
        try {
          const freeze = JSON.parse(readFileSync(join(folder, n), 'utf8')) as Freeze;
          return ours(freeze) && !isAlive(freeze) ? [freeze] : [];
        } catch {
          return [];
        }
      });
    },
  };
}

/** Whether the engine says the container is frozen (a gone container is not). */
export async function isPaused(client: EngineClient, id: string): Promise<boolean> {
  return (await client.inspectContainer(id))?.State?.Paused === true;
}

/** A container must never be left frozen: unpause, and when that fails, ask the engine
 *  whether it is still frozen before saying so; retry, then say exactly what to do. */
export async function thaw(client: EngineClient, id: string): Promise<void> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      await client.unpauseContainer(id);
      return;
    } catch (error) {
      lastError = error;
      // Not frozen (a pause that failed, or unpaused already): nothing to thaw.
      if (!(await isPaused(client, id).catch(() => true))) return;
      await sleep(200 * (attempt + 1));
    }
  }
  throw new Error(`could not unpause container ${id.slice(0, 12)} (${(lastError as Error).message}); it is still PAUSED: run docker unpause ${id.slice(0, 12)}`);
}
