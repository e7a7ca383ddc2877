// What the acting commands print: plans with a reason per container, what was done,
// and the check's news. Pure, like the report: the commands hand in what happened.

import prettyBytes from 'pretty-bytes';
import type { Action, DriftRow, Pruning, Rotation } from '../actions.js';
import { freedLine } from '../actions.js';
import type { Finding } from '../model.js';
import type { RunningDriftCheck, RunningDriftPlan } from '../running-drift.js';
import { findingLines } from './findings.js';
import { block, table, visible } from './text.js';

/** Collector failures: the one kind of finding a plan does not show by itself. */
const collectorLines = (findings: readonly Finding[]): string[] =>
  findingLines(
    findings.filter((f) => f.code === 'COLLECTOR_FAILED'),
    { top: 5, layout: 'plain' },
  );

/** `showKept`: every container's reason (containers named by hand), not only rotations. */
function rotationLines(rotation: Rotation, showKept: boolean, maxSize: number): string[] {
  const rows = [['CONTAINER', 'LOG', 'PLAN']];
  for (const item of rotation.plan) if (showKept || item.action === 'rotate') rows.push([item.name, item.bytes === null ? '-' : prettyBytes(item.bytes), item.reason]);
  const lines = rows.length > 1 ? table(rows, ['l', 'r', 'l'], '') : [`Nothing to rotate: no live json-file log without max-size is over logs.maxSize ${prettyBytes(maxSize)}.`];
  for (const r of rotation.results) lines.push(`${r.name}: ${r.message}`);
  for (const path of rotation.archivesRemoved) lines.push(`removed old archive ${path}`);
  return lines;
}

/** `showActive`: running, paused and restarting containers too (they are always kept). */
function pruneLines(pruning: Pruning, actions: Action[], showActive: boolean): string[] {
  const shown = pruning.plan.filter((i) => showActive || i.code !== 'active');
  const rows = [['CONTAINER', 'IMAGE', 'ON DISK', 'PLAN']];
  for (const i of shown) rows.push([i.name, i.image, i.footprintBytes === null ? '-' : prettyBytes(i.footprintBytes), i.reason]);
  const lines = shown.length > 0 ? table(rows, ['l', 'l', 'r', 'l'], '') : ['No containers.'];
  for (const r of pruning.results) lines.push(`${r.name}: ${r.message}`);
  return [...lines, ...freedLine(actions)];
}

const DRY_RUN = 'dry run: nothing changed';

/** A dry run's running-drift checks: each with what it cost, what a suspicious one would
 *  get (a bundle, a pause), and the RUNNING_DRIFT findings. */
function runningDriftLines(running: { checks: RunningDriftCheck[]; plan: RunningDriftPlan[] }, findings: readonly Finding[]): string[] {
  const lines = running.checks.map((c) => `running drift ${visible(c.name)}: ${c.status}, ${c.changes} change${c.changes === 1 ? '' : 's'}, docker diff took ${Math.round(c.durationMs)} ms`);
  for (const p of running.plan) {
    const would = [...(p.bundle ? ['write its forensic bundle'] : []), ...(p.pause ? ['pause it'] : [])].join(' and ');
    lines.push(`${visible(p.name)}: would ${would}: ${p.reason}`);
  }
  const drifted = findings.filter((f) => f.code === 'RUNNING_DRIFT');
  return [...lines, ...findingLines(drifted, { top: 5, layout: 'plain' })];
}

/** A dry run says so on each rotation it would have done. */
export function renderRotation(rotation: Rotation, findings: readonly Finding[], options: { showKept: boolean; maxSize: number }): string {
  return block([...rotationLines(rotation, options.showKept, options.maxSize), ...collectorLines(findings)]);
}

export function renderPruning(pruning: Pruning, actions: Action[], findings: readonly Finding[], dryRun: boolean): string {
  return block([...pruneLines(pruning, actions, true), ...collectorLines(findings), ...(dryRun ? [DRY_RUN] : [])]);
}

export function renderDrift(rows: DriftRow[], findings: readonly Finding[]): string {
  const lines = table([['CONTAINER', 'DRIFT', 'WHY'], ...rows.map((r) => [r.name, r.drift?.status ?? 'unknown', r.drift?.reason ?? `could not be read: ${r.error}`])], ['l', 'l', 'l'], '');
  for (const r of rows) if (r.bundle) lines.push(`${r.name}: forensic bundle in ${r.bundle}`);
  const failed = findings.filter((f) => f.code === 'ACTION_FAILED' || f.code === 'COLLECTOR_FAILED');
  return block([...lines, ...findingLines(failed, { top: 5, layout: 'plain' })]);
}

/**
 * `watchdog check`: with --dry-run, the plans; otherwise only news (an action, a
 * failure, a container newly held), so that cron mails only news, followed by the
 * warning and critical findings that explain it. Nothing at all when nothing happened.
 */
export function renderCheck(check: {
  rotation: Rotation | null;
  pruning: Pruning;
  actions: Action[];
  findings: readonly Finding[];
  dryRun: boolean;
  /** The `watchdog watch` daemon that acts on this host instead (issue #11). */
  daemon: { pid: number; since: string } | null;
  maxSize: number;
  top: number;
  /** The running containers' drift checks of this pass (RUNNING_DRIFT, issue #13). */
  runningDrift?: { checks: RunningDriftCheck[]; plan: RunningDriftPlan[] };
}): string {
  if (check.dryRun) {
    const daemon = check.daemon ? [`watchdog watch (pid ${check.daemon.pid}, since ${check.daemon.since}) acts and mails for this host: check would do neither`] : [];
    const running = check.runningDrift ? runningDriftLines(check.runningDrift, check.findings) : [];
    return block([...daemon, ...(check.rotation ? rotationLines(check.rotation, false, check.maxSize) : []), ...pruneLines(check.pruning, check.actions, false), ...running, ...collectorLines(check.findings), DRY_RUN]);
  }
  const news = check.actions.filter((a) => a.news);
  if (news.length === 0) return '';
  const notable = check.findings.filter((f) => f.severity !== 'info');
  return block([...news.map((a) => `${a.action} ${a.target}: ${a.message}`), ...freedLine(check.actions), ...findingLines(notable, { top: check.top, layout: 'plain' })]);
}

export interface JournalLine {
  at: string;
  action: string;
  target: string;
  outcome: string;
  bytesFreed: number | null;
  reason: string;
}

export function renderJournal(entries: JournalLine[], since: string): string {
  if (entries.length === 0) return `No actions in the last ${since}.\n`;
  const rows = [['TIME', 'ACTION', 'TARGET', 'OUTCOME', 'FREED', 'REASON']];
  for (const e of entries) rows.push([e.at, e.action, e.target, e.outcome, e.bytesFreed === null ? '-' : prettyBytes(e.bytesFreed), e.reason]);
  return block(table(rows, ['l', 'l', 'l', 'l', 'r', 'l'], ''));
}
