// Which logs to rotate, each with the reason it will or will not be. Pure: the snapshot
// and the policy come in, a plan goes out; `watchdog rotate --dry-run` prints exactly
// this, and the rotation applies exactly this (re-checking each item first).

import prettyBytes from 'pretty-bytes';
import type { ContainerFacts, Snapshot } from './model.js';
import { isExited } from './model.js';

export interface RotationItem {
  containerId: string;
  name: string;
  action: 'rotate' | 'keep';
  reason: string;
  logPath: string | null;
  bytes: number | null;
}

export interface RotationPlan {
  items: RotationItem[];
  /** Names or ids that were asked for and match no container. */
  unknown: string[];
}

/** A container by exact name, exact id, or an id prefix of at least 4 characters. */
export function findContainer(containers: ContainerFacts[], wanted: string): ContainerFacts | null {
  const byName = containers.find((c) => c.name === wanted || c.id === wanted);
  if (byName) return byName;
  const byPrefix = wanted.length >= 4 ? containers.filter((c) => c.id.startsWith(wanted)) : [];
  return byPrefix.length === 1 ? byPrefix[0]! : null;
}

function decide(c: ContainerFacts, maxSizeBytes: number, asked: boolean, runningOnly: boolean): RotationItem {
  const item = { containerId: c.id, name: c.name, logPath: c.logPath, bytes: c.logFiles?.bytes ?? null };
  const keep = (reason: string): RotationItem => ({ ...item, action: 'keep', reason: `kept: ${reason}` });
  if (c.logConfig.driver !== 'json-file') return keep(`log driver ${c.logConfig.driver} writes no json-file log here`);
  // The engine reopens a log it rotates itself without O_APPEND: truncating it from
  // outside would leave NUL bytes and break `docker logs` (DESIGN.md).
  if (c.logConfig.bounded) return keep(`the engine rotates this log itself (max-size ${prettyBytes(c.logConfig.maxSizeBytes ?? 0)}); truncating it would corrupt it`);
  if (!c.logFiles) return keep('its log file is not readable from here');
  if (c.state === 'restarting' || c.state === 'removing') return keep(`it is ${c.state}`);
  // The timer leaves stopped containers' logs alone: they do not grow, and one that is
  // suspicious must reach its forensic bundle whole (issue #4).
  if (runningOnly && isExited(c.state)) return keep(`${c.state}: its log does not grow (watchdog rotate ${c.name} does it by hand)`);
  const size = prettyBytes(c.logFiles.liveBytes);
  if (c.logFiles.liveBytes === 0) return keep('its log is empty');
  if (!asked && c.logFiles.liveBytes <= maxSizeBytes) return keep(`log ${size} is within logs.maxSize ${prettyBytes(maxSizeBytes)}`);
  return { ...item, action: 'rotate', reason: asked ? `rotate: asked for, log ${size}` : `rotate: log ${size} is over logs.maxSize ${prettyBytes(maxSizeBytes)}` };
}

/**
 * `requested`: the containers named on the command line (rotated whatever their size),
 * or null for every container whose live log is over `maxSizeBytes`.
 */
export function planRotations(snapshot: Snapshot, maxSizeBytes: number, requested: string[] | null, runningOnly = false): RotationPlan {
  if (requested === null) return { items: snapshot.containers.map((c) => decide(c, maxSizeBytes, false, runningOnly)), unknown: [] };
  const unknown: string[] = [];
  const items: RotationItem[] = [];
  for (const wanted of requested) {
    const c = findContainer(snapshot.containers, wanted);
    if (c) items.push(decide(c, maxSizeBytes, true, false));
    else unknown.push(wanted);
  }
  return { items, unknown };
}
