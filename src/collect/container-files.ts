// A finished container's facts from the engine's own files, instead of an inspect over
// the API (issue #14). An inspect is the engine's copy of two files it keeps for every
// container in <DockerRootDir>/containers/<id>/: config.v2.json (its state, name, log
// path, mount points, configuration) and hostconfig.json (its HostConfig, as created).
// A cold scan of 1,000 exited containers spent 0.44-0.53 s on their inspects (dockerd
// and this process sharing 2 cores); reading and parsing the two files of all of them
// took 32-50 ms. The engine writes both by rename (atomically), so a read sees one
// whole version.
//
// Only what the files say plainly is taken: a container the files show running,
// paused, restarting or being removed, or files of a shape this does not know, are
// left to an inspect (null), so the engine stays the judge of anything in motion.
// test/integration/container-files.test.ts checks that the facts are those of an
// inspect, container by container, on every engine the CI runs.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ContainerInspect } from '../engine/shapes.js';

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const stringOr = (value: unknown, fallback: string | undefined): string | undefined => (typeof value === 'string' ? value : fallback);

/**
 * The state an inspect would show for a container that is not running (moby's
 * State.StateString: dead, created when it never started, else exited), or null when
 * the files show it running, paused, restarting or being removed, or lack the fields.
 */
function finishedState(state: Json): 'dead' | 'created' | 'exited' | null {
  if (typeof state.Running !== 'boolean' || typeof state.StartedAt !== 'string') return null;
  if (state.Running || state.Paused === true || state.Restarting === true || state.RemovalInProgress === true) return null;
  if (state.Dead === true) return 'dead';
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
 * that container, finished (see above).
 */
export function inspectFromFiles(id: string, config: unknown, hostConfig: unknown): ContainerInspect | null {
  if (!isObject(config) || !isObject(hostConfig) || config.ID !== id || !isObject(config.State) || !isObject(config.Config)) return null;
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
    // hostconfig.json is the HostConfig an inspect returns: the engine stores it as is.
    HostConfig: hostConfig as ContainerInspect['HostConfig'],
    Mounts: mounts,
  };
}

/** inspectFromFiles on container `id`'s files; null when they cannot be read or parsed
 *  (being created or removed this instant, or of a shape this does not know). */
export function readContainerFiles(dockerRootDir: string, id: string): ContainerInspect | null {
  const folder = join(dockerRootDir, 'containers', id);
  try {
    return inspectFromFiles(id, JSON.parse(readFileSync(join(folder, 'config.v2.json'), 'utf8')), JSON.parse(readFileSync(join(folder, 'hostconfig.json'), 'utf8')));
  } catch {
    return null;
  }
}
