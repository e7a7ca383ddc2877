// RUNNING_DRIFT (issue #13): drift outside drift.allow in a container that is running.
// `docker diff` walks the container's whole writable layer and holds its lock while it
// does, so a running container is checked at most every drift.runningInterval, one at
// a time, and the time each check took is kept with it. Pure: the pipeline
// (pipeline/running-drift.ts) runs the diffs and the state store keeps the checks.

import { onlyAnAncestor } from './ancestors.js';
import { describeChange, isSystemPath, type Change, type Drift, type DriftStatus } from './drift.js';
import type { Finding } from './model.js';
import { setuidFindings, type ModeCheck } from './setuid.js';

/** At most this many outside changes are kept per check: the finding shows three, and
 *  a bundle holds them all. */
export const OUTSIDE_CAP = 100;
/** At most this many written paths are kept per check, for a later WRITABLE_ROOTFS
 *  suggestion (which needs the directories written, not every file). */
export const WRITTEN_CAP = 2000;

/** One running-drift check of one container, as the state store keeps it. */
export interface RunningDriftCheck {
  containerId: string;
  name: string;
  /** ISO time the check started. */
  checkedAt: string;
  /** How long `docker diff` took (ms): the cost of the check. */
  durationMs: number;
  /** How many changes `docker diff` listed. */
  changes: number;
  status: DriftStatus;
  /** Changes outside drift.allow and the container's label, the first OUTSIDE_CAP. */
  outside: Change[];
  outsideCount: number;
  /** Of the outside changes, how many are under a system path. */
  criticalCount: number;
  /** Every change that is not only an ancestor of another (`docker diff` lists /var when
   *  /var/tmp/x is added), allowed or not, the first WRITTEN_CAP: what the container
   *  writes, for WRITABLE_ROOTFS. */
  written: Change[];
  writtenCount: number;
  /** Identifies the set of outside paths: one forensic bundle per set (outsideKey). */
  outsideKey: string | null;
  /** The forensic bundle's folder written for this set of outside paths, if any. */
  bundle: string | null;
  /** The modes of its changed files (SETUID_DRIFT), the setuid ones capped at
   *  OUTSIDE_CAP; null when its drift had no mode check. */
  modes: ModeCheck | null;
}

/** The running containers whose last check is at least `intervalMs` old (or that were
 *  never checked), never-checked first, then oldest check first: a pass that stops
 *  early (the engine went away) has still checked those that waited longest. A
 *  container with a read-only root filesystem is never due: its writes go to tmpfs
 *  mounts and volumes, which `docker diff` does not show. */
export function dueForDriftCheck<C extends { id: string; state: string; readonlyRootfs: boolean }>(
  containers: readonly C[],
  lastCheckedAt: ReadonlyMap<string, string>,
  now: Date,
  intervalMs: number,
): C[] {
  const last = (c: C): number => {
    const at = lastCheckedAt.get(c.id);
    return at === undefined ? -Infinity : Date.parse(at);
  };
  return containers
    .filter((c) => c.state === 'running' && !c.readonlyRootfs)
    // A check dated in the future (a clock set back) is due: better one check too many
    // than a container never checked again.
    .filter((c) => {
      const at = last(c);
      return at === -Infinity || at > now.getTime() || now.getTime() - at >= intervalMs;
    })
    .sort((a, b) => last(a) - last(b));
}

/** A short, stable key for a set of outside changes (FNV-1a, 32 bits twice over the
 *  sorted list): the same drift found again an hour later has the same key, so it gets
 *  no second bundle, and a new path makes a new key. */
export function outsideKey(outside: readonly Change[], setuid: readonly string[] = []): string | null {
  if (outside.length === 0 && setuid.length === 0) return null;
  // A setuid file under an allowed path is suspicious too (SETUID_DRIFT): it is part of
  // the set, so a new one gets its bundle.
  const text = [...outside.map(describeChange), ...setuid.map((path) => `S ${path}`)]
    .sort()
    .join('\n');
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ text.length;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    a = Math.imul(a ^ code, 0x01000193) >>> 0;
    b = Math.imul(b ^ code, 0x01000193 + 0x100) >>> 0;
  }
  return `${outside.length + setuid.length}-${a.toString(16).padStart(8, '0')}${b.toString(16).padStart(8, '0')}`;
}

/** The record of one check, from what `docker diff` said and how it was classified. */
export function runningDriftCheck(
  container: { id: string; name: string },
  changes: readonly Change[],
  drift: Drift,
  checkedAt: Date,
  durationMs: number,
  bundle: string | null,
): RunningDriftCheck {
  // The same rule as classifyDrift: a directory listed as modified only because
  // something beneath it changed is not a write of its own.
  const isAncestor = onlyAnAncestor(changes);
  const written = changes.filter((c) => !isAncestor(c));
  return {
    containerId: container.id,
    name: container.name,
    checkedAt: checkedAt.toISOString(),
    durationMs: Math.round(durationMs * 10) / 10,
    changes: changes.length,
    status: drift.status,
    // System paths first: a critical finding must be able to show what made it critical.
    outside: [...drift.critical, ...drift.outside.filter((o) => !drift.critical.includes(o))].slice(0, OUTSIDE_CAP),
    outsideCount: drift.outside.length,
    criticalCount: drift.critical.length,
    written: written.slice(0, WRITTEN_CAP),
    writtenCount: written.length,
    outsideKey: outsideKey(drift.outside, drift.modes?.setuid.map((f) => f.path)),
    bundle,
    modes: drift.modes ? { ...drift.modes, setuid: drift.modes.setuid.slice(0, OUTSIDE_CAP) } : null,
  };
}

const ms = (value: number): string => (value < 10 ? `${value.toFixed(1)} ms` : value < 10_000 ? `${Math.round(value)} ms` : `${(value / 1000).toFixed(1)} s`);

/** The RUNNING_DRIFT finding of a suspicious check (critical when a system path
 *  changed), or null. Evidence: the first three outside changes (system paths first),
 *  what the check cost, and what to do. */
export function runningDriftFinding(check: RunningDriftCheck, running = true): Finding | null {
  // Suspicious only for a setuid file under an allowed path: that is SETUID_DRIFT's.
  if (check.status !== 'suspicious' || check.outsideCount === 0) return null;
  // System paths first, as classifyDrift's reason shows them; the record keeps only
  // their count, so the test is repeated on the kept paths.
  const system = check.outside.filter((c) => isSystemPath(c.path));
  const shown = [...system, ...check.outside.filter((c) => !isSystemPath(c.path))].slice(0, 3).map(describeChange).join(', ');
  const more = check.outsideCount > 3 ? ` and ${check.outsideCount - 3} more` : '';
  const where = check.criticalCount > 0 ? 'changed system paths' : 'changed paths outside drift.allow';
  const bundle = check.bundle ? `look at its forensic bundle ${check.bundle}, then ` : '';
  return {
    code: 'RUNNING_DRIFT',
    severity: check.criticalCount > 0 ? 'critical' : 'warning',
    containerId: check.containerId,
    subject: check.name,
    message:
      `${check.name}: ${running ? 'running' : 'while it ran'}, it ${where}: ${shown}${more} (docker diff at ${check.checkedAt}, ${check.changes} changes, took ${ms(check.durationMs)}); ` +
      `${bundle}stop it and re-create it from its image, or if these writes are legitimate add the paths to drift.allow or its watchdog.drift.allow label`,
  };
}

/** The findings of the last check of each container listed (a container re-created
 *  from its image is a new container, and its old checks say nothing about it). One
 *  that has stopped since keeps them: its layer, and what was found in it, is still
 *  there, and a finding that vanished when it stopped would mail RESOLVED for a root
 *  shell still in it (the review of #13). */
export function runningDriftFindings(lastChecks: ReadonlyMap<string, RunningDriftCheck>, containers: ReadonlyArray<{ id: string; name: string; state: string }>): Finding[] {
  return containers.flatMap((c) => {
    const check = lastChecks.get(c.id);
    if (!check) return [];
    return runningCheckFindings({ ...check, name: c.name }, ['running', 'paused', 'restarting'].includes(c.state));
  });
}

/** The findings of one check: RUNNING_DRIFT, and SETUID_DRIFT of the setuid or setgid
 *  files it found. */
export function runningCheckFindings(check: RunningDriftCheck, running = true): Finding[] {
  const finding = runningDriftFinding(check, running);
  return [...(finding ? [finding] : []), ...setuidFindings(check.containerId, check.name, check.modes ?? undefined)];
}

/** What acting on one suspicious check means. Evidence first: a bundle for each new set
 *  of outside paths (not one every interval for the same drift); with
 *  drift.onSuspiciousRunning pause, the container paused, once per new set too (an
 *  operator who unpaused it after looking is not overruled an hour later). */
export interface RunningDriftPlan {
  containerId: string;
  name: string;
  bundle: boolean;
  pause: boolean;
  /** Why, in words, for --dry-run and the journal. */
  reason: string;
}

export function planRunningDrift(
  check: RunningDriftCheck,
  earlier: { seen: boolean; bundle: string | null },
  onSuspiciousRunning: 'alert' | 'pause',
): RunningDriftPlan | null {
  if (check.status !== 'suspicious') return null;
  const bundle = earlier.bundle === null;
  const pause = onSuspiciousRunning === 'pause' && !earlier.seen;
  if (!bundle && !pause) return null;
  const setuid = check.modes?.setuid.length ?? 0;
  const what =
    check.criticalCount > 0
      ? `changed ${check.criticalCount} system path${check.criticalCount === 1 ? '' : 's'}`
      : check.outsideCount > 0
        ? `changed ${check.outsideCount} path${check.outsideCount === 1 ? '' : 's'} outside drift.allow`
        : `wrote ${setuid} setuid or setgid file${setuid === 1 ? '' : 's'}`;
  const why = pause ? `running, it ${what} (drift.onSuspiciousRunning: pause)` : `running, it ${what}`;
  return { containerId: check.containerId, name: check.name, bundle, pause, reason: why };
}
