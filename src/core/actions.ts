// What acting on the host did, item by item, and what of that a person must hear about.
// Pure: act/ produces these results, the commands print them, alerts mail them.

import prettyBytes from 'pretty-bytes';
import type { Drift } from './drift.js';
import type { Finding } from './model.js';
import type { PruneItem } from './plan-prune.js';
import type { RotationItem } from './plan-rotate.js';

export interface RotationResult {
  containerId: string;
  name: string;
  outcome: 'done' | 'failed' | 'skipped';
  message: string;
  archive: string | null;
  /** Bytes moved from the live log into the archive (what the disk got back, before
   *  compression took its share). */
  bytesArchived: number;
  /** How long the container was frozen; null when it was not paused. */
  pauseMs: number | null;
  /** The container could not be unpaused: it is still frozen (the worst failure). */
  leftPaused: boolean;
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
  action: 'rotate' | 'prune' | 'hold' | 'bundle';
  target: string;
  containerId: string;
  outcome: 'done' | 'held' | 'skipped' | 'failed';
  message: string;
  bytesFreed: number | null;
  /** Something an operator has not been told yet: every action, and a hold only when
   *  its forensic bundle was just written. */
  news: boolean;
  leftPaused: boolean;
}

export function rotationActions(results: RotationResult[]): Action[] {
  return results.map((r) => ({
    action: 'rotate',
    target: r.name,
    containerId: r.containerId,
    outcome: r.outcome,
    message: r.message,
    bytesFreed: r.outcome === 'done' ? r.bytesArchived : null,
    news: r.outcome !== 'skipped',
    leftPaused: r.leftPaused,
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
    leftPaused: false,
  }));
}

/** An action that failed is a finding: it reaches the exit code and the alerts, not
 *  just the service log. A container left frozen is the worst of them. */
export function actionFindings(actions: Action[]): Finding[] {
  return actions
    .filter((a) => a.outcome === 'failed')
    .map((a) => ({ code: 'ACTION_FAILED', severity: a.leftPaused ? 'critical' : 'warning', containerId: a.containerId, subject: a.target, message: `${a.action} ${a.target}: ${a.message}` }));
}

export const bytesFreed = (actions: ReadonlyArray<{ bytesFreed: number | null }>): number => actions.reduce((sum, a) => sum + (a.bytesFreed ?? 0), 0);

/** "freed 12 MB", or nothing when nothing was. */
export const freedLine = (actions: Action[]): string[] => (bytesFreed(actions) > 0 ? [`freed ${prettyBytes(bytesFreed(actions))}`] : []);
