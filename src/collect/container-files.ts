// A finished container's facts from the engine's own files, instead of an inspect over
// the API (issue #14). An inspect is mostly the engine's copy of two files it keeps for
// every container in <DockerRootDir>/containers/<id>/: config.v2.json (its state, name,
// log path, mount points, configuration) and hostconfig.json (its HostConfig). A cold
// scan of 1,000 exited containers spent 0.44-0.53 s on their inspects (dockerd and this
// process sharing 2 cores); reading and parsing the two files of all of them took
// 32-50 ms. The engine writes both by rename (atomically), so a read sees one whole
// version.
//
// Only what the files say plainly is taken, and anything else is left to an inspect
// (null), so the engine stays the judge:
// - a container of another storage driver: the engine loads only its own driver's
//   containers (a folder left from before a change of driver, or of image store, is
//   not one of its containers, and an inspect says so with a 404);
// - a container the files show running, paused or restarting (it started after the
//   engine listed the active ones), being removed (engines before 29 save
//   RemovalInProgress), or dead (engine 29 saves a removal as Dead, and a dead
//   container is rare);
// - files of a shape this does not know.
// A removal that has not yet saved its state still reads as exited: the scan's
// snapshot is a moment old either way, and prune inspects again before it acts.
// test/integration/container-files.test.ts checks that the facts are those of an
// inspect, container by container, on the engines the CI runs (20.10, and 26.1 with and
// without the containerd image store; engine 29 is not among them).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ContainerInspect } from '../engine/shapes.js';

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const stringOr = (value: unknown, fallback: string | undefined): string | undefined => (typeof value === 'string' ? value : fallback);

/**
 * The state an inspect would show for a container that is neither active, being
 * removed nor dead (moby's State.StateString: created when it never started, else
 * exited), or null.
 */
function finishedState(state: Json): 'created' | 'exited' | null {
  if (typeof state.Running !== 'boolean' || typeof state.StartedAt !== 'string') return null;
  if (state.Running || state.Paused === true || state.Restarting === true || state.RemovalInProgress === true || state.Dead === true) return null;
  // Go's zero time: it never started.
  return state.StartedAt.startsWith('0001-01-01') ? 'created' : 'exited';
}

/** The mount points as an inspect lists them (Type, Source, Destination, RW), or null
 *  when one lacks them. */
function mountsOf(mountPoints: unknown): ContainerInspect['Mounts'] | null {
  if (mountPoints === null || mountPoints === undefined) return [];
  if (!isObject(mountPoints)) return null;
  const mounts: NonNullable<ContainerInspect['Mounts']> = [];
  for (const point of Object.values(mountPoints)) {
    if (!isObject(point) || typeof point.Type !== 'string' || typeof point.Destination !== 'string' || typeof point.RW !== 'boolean') return null;
    mounts.push({ Type: point.Type, Source: stringOr(point.Source, ''), Destination: point.Destination, RW: point.RW });
  }
  return mounts;
}

/**
 * What an inspect of container `id` would say, from its parsed config.v2.json and
 * hostconfig.json, for the fields containerFacts reads; null unless the files describe
 * that container, of the engine's `storageDriver`, finished (see above).
 */
export function inspectFromFiles(id: string, storageDriver: string, config: unknown, hostConfig: unknown): ContainerInspect | null {
  if (!isObject(config) || !isObject(hostConfig) || config.ID !== id || config.Driver !== storageDriver || !isObject(config.State) || !isObject(config.Config)) return null;
  const status = finishedState(config.State);
  const mounts = mountsOf(config.MountPoints);
  if (status === null || mounts === null || typeof config.Name !== 'string' || typeof config.Created !== 'string') return null;
  const labels = config.Config.Labels;
  return {
    Id: id,
    Name: config.Name,
    Created: config.Created,
    LogPath: stringOr(config.LogPath, undefined),
    State: { Status: status, FinishedAt: stringOr(config.State.FinishedAt, undefined) },
    Config: { Image: stringOr(config.Config.Image, undefined), Labels: isObject(labels) ? (labels as Record<string, string>) : null },
    // The fields containerFacts reads are returned by an inspect as the engine stored
    // them (it rewrites Links and adds the daemon's default Ulimits, read by nothing here).
    HostConfig: hostConfig as ContainerInspect['HostConfig'],
    Mounts: mounts,
  };
}

/** Errors that say this user cannot read the engine's files at all: a scan then stops
 *  trying (collectContainers). */
const DENIED = new Set(['EACCES', 'EPERM']);

/** inspectFromFiles on container `id`'s files; null when they cannot be read or parsed
 *  (being created or removed this instant, or of a shape this does not know). Throws
 *  when this user may not read them. */
export function readContainerFiles(dockerRootDir: string, storageDriver: string, id: string): ContainerInspect | null {
  const folder = join(dockerRootDir, 'containers', id);
  try {
    return inspectFromFiles(id, storageDriver, JSON.parse(readFileSync(join(folder, 'config.v2.json'), 'utf8')), JSON.parse(readFileSync(join(folder, 'hostconfig.json'), 'utf8')));
  } catch (error) {
    if (DENIED.has((error as NodeJS.ErrnoException).code ?? '')) throw error;
    return null;
  }
}
