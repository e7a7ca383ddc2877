// What acting on the host did, item by item, and what of that a person must hear about.
// Pure: act/ produces these results, the commands print them, alerts mail them.

import prettyBytes from 'pretty-bytes';
import type { Drift } from './drift.js';
import type { Finding, FindingCode, Severity } from './model.js';
import type { PruneItem } from './plan-prune.js';
import type { RotationItem } from './plan-rotate.js';

/** Why a rotation ended as it did; what its finding is decided on. */
export type RotationCode =
  | 'rotated'
  | 'dry-run'
  | 'gone'
  | 'engine-rotates'
  | 'log-changed'
  | 'not-now'
  | 'log-refused'
  | 'empty'
  /** Not enough free space for the archive: skipped before anything was written. */
  | 'no-space'
  /** The engine could not freeze it (and says it is not paused): nothing truncated. */
  | 'pause-failed'
  | 'failed'
  /** It could not be unpaused: the engine says it is still frozen. */
  | 'left-paused';

export interface RotationResult {
  containerId: string;
  name: string;
  outcome: 'done' | 'failed' | 'skipped';
  code: RotationCode;
  message: string;
  archive: string | null;
  /** Bytes moved from the live log into the archive (what the disk got back, before
   *  compression took its share). */
  bytesArchived: number;
  /** How long the container was frozen; null when it was not paused. */
  pauseMs: number | null;
}

export interface PruneResult {
  containerId: string;
  name: string;
  outcome: 'done' | 'held' | 'skipped' | 'failed';
  message: string;
  bytesFreed: number | null;
  bundle: string | null;
  /** The bundle was written by this run (a held container is reported once). */
  newBundle: boolean;
}

export interface Rotation {
  plan: RotationItem[];
  results: RotationResult[];
  /** Old archives removed to stay within logs.keep and logs.archiveBudget. */
  archivesRemoved: string[];
}

export interface Pruning {
  plan: PruneItem[];
  results: PruneResult[];
}

export interface DriftRow {
  containerId: string;
  name: string;
  drift: Drift | null;
  /** Why drift could not be read. */
  error: string | null;
  bundle: string | null;
}

/** One thing a pass did (or tried), as the check's output and the alert mail tell it. */
export interface Action {
  action: 'rotate' | 'prune' | 'hold' | 'bundle' | 'pause';
  target: string;
  containerId: string;
  outcome: 'done' | 'held' | 'skipped' | 'failed';
  message: string;
  bytesFreed: number | null;
  /** Something an operator has not been told yet: every action, and a hold only when
   *  its forensic bundle was just written. */
  news: boolean;
  /** What it raises (exit code, alerts), decided where the action's result is read. */
  finding: { code: FindingCode; severity: Severity } | null;
}

const ACTION_FAILED = { code: 'ACTION_FAILED', severity: 'warning' } as const;

/** A container left frozen is the worst of failures; a log not rotated for want of
 *  space is a warning of its own (the disk, not the watchdog, needs attention). */
function rotationFinding(r: RotationResult): Action['finding'] {
  if (r.code === 'left-paused') return { code: 'ACTION_FAILED', severity: 'critical' };
  if (r.code === 'no-space') return { code: 'ROTATION_NO_SPACE', severity: 'warning' };
  return r.outcome === 'failed' ? ACTION_FAILED : null;
}

export function rotationActions(results: RotationResult[]): Action[] {
  return results.map((r) => ({
    action: 'rotate',
    target: r.name,
    containerId: r.containerId,
    outcome: r.outcome,
    message: r.message,
    bytesFreed: r.outcome === 'done' ? r.bytesArchived : null,
    news: r.outcome !== 'skipped' || r.code === 'no-space',
    finding: rotationFinding(r),
  }));
}

export function pruneActions(results: PruneResult[]): Action[] {
  return results.map((r) => ({
    action: r.outcome === 'held' ? 'hold' : 'prune',
    target: r.name,
    containerId: r.containerId,
    outcome: r.outcome,
    message: r.message,
    bytesFreed: r.bytesFreed,
    news: r.outcome === 'held' ? r.newBundle : r.outcome !== 'skipped',
    finding: r.outcome === 'failed' ? ACTION_FAILED : null,
  }));
}

/** An action that failed (or could not be done for want of space) is a finding: it
 *  reaches the exit code and the alerts, not just the service log. */
export function actionFindings(actions: Action[]): Finding[] {
  return actions.flatMap((a): Finding[] => (a.finding ? [{ ...a.finding, containerId: a.containerId, subject: a.target, message: `${a.action} ${a.target}: ${a.message}` }] : []));
}

export const bytesFreed = (actions: ReadonlyArray<{ bytesFreed: number | null }>): number => actions.reduce((sum, a) => sum + (a.bytesFreed ?? 0), 0);

/** "freed 12 MB", or nothing when nothing was. */
export const freedLine = (actions: Action[]): string[] => (bytesFreed(actions) > 0 ? [`freed ${prettyBytes(bytesFreed(actions))}`] : []);
