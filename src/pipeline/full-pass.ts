// A full pass: what `watchdog check` does once and the daemon every watch.interval
// (issue #11). Gather (a df reused while recent), rotate the logs over logs.maxSize,
// plan and apply pruning (holding suspicious containers), record, and alert with every
// finding of the pass. One piece for both: an alert key is resolved only by a pass that
// could have raised it, so every pass that mails must see all that a pass sees.

import { actionFindings, pruneActions, rotationActions, type Action, type Pruning, type Rotation } from '../core/actions.js';
import { alertContext } from '../core/alerts.js';
import { sortFindings, stateFindings } from '../core/evaluate.js';
import type { Finding } from '../core/model.js';
import { gather, type Pass } from './gather.js';
import { notify, type Notified } from './notify.js';
import { planPrune, pruneContainers } from './pruning.js';
import { record } from './record.js';
import { planRotation, rotateLogs } from './rotation.js';
import type { Run } from './run.js';
import { checkRunningDrift, type RunningDrift } from './running-drift.js';
import { storeWrite } from './store-writes.js';
import { recordFullPass } from '../state/metrics.js';

export interface FullPassOptions {
  dryRun: boolean;
  /** Rotate logs over logs.maxSize (the daemon rotates them as they cross instead). */
  rotate: boolean;
  /** Act and mail; false when a daemon does both for this store (`check` then reports). */
  act: boolean;
  /** Findings the caller knows and a gather cannot see (the daemon's runaway logs and
   *  the drift of containers that died since it started). */
  extraFindings?: Finding[];
}

export interface FullPass {
  pass: Pass;
  rotation: Rotation | null;
  pruning: Pruning;
  /** The running containers' drift checks of this pass (issue #13). */
  runningDrift: RunningDrift;
  actions: Action[];
  findings: Finding[];
  /** What went into the outbox; null when the pass did not mail. */
  notified: Notified | null;
}

export async function fullPass(run: Run, options: FullPassOptions): Promise<FullPass> {
  const dryRun = options.dryRun || !options.act;
  const pass = await gather(run, 'reuse');
  // RUNNING_DRIFT (issue #13): the running containers due for a check, one at a time.
  const runningDrift = await checkRunningDrift(run, pass, { dryRun, act: options.act });
  const checked = new Set(runningDrift.checks.map((c) => c.containerId));
  // On a remote engine logs cannot be rotated: the rest of the pass still runs.
  const rotation = options.rotate && options.act && pass.snapshot.engine?.local ? await rotateLogs(run, pass.snapshot, planRotation(run, pass.snapshot, null, true), dryRun) : null;
  const prunePlan = await planPrune(run, pass);
  const pruning = { plan: prunePlan.items, results: options.act ? await pruneContainers(run, pass, prunePlan, { dryRun, everyReason: dryRun }) : [] };
  record(run, pass);
  // For the metrics (issue #12): a pass that acted; `check` under a daemon, or a dry run, did not.
  if (!dryRun) storeWrite(run, 'the time of this full pass', () => recordFullPass(run.db, pass.now));

  const actions = [...runningDrift.actions, ...rotationActions(rotation?.results ?? []), ...pruneActions(pruning.results)];
  // What the store said of a container checked again now gives way to the new check:
  // its RUNNING_DRIFT and the SETUID_DRIFT of that check (a file removed since must not
  // stay critical, nor one still there be counted twice).
  const stored = pass.findings.filter((f) => !((f.code === 'RUNNING_DRIFT' || f.code === 'SETUID_DRIFT') && f.containerId !== undefined && checked.has(f.containerId)));
  const findings = sortFindings([...stored, ...runningDrift.findings, ...(options.extraFindings ?? []), ...prunePlan.findings, ...actionFindings(actions), ...stateFindings(run.storeProblems)]);
  const notified = dryRun ? null : await notify(run, { at: pass.now, host: pass.snapshot.engine?.hostName ?? '', findings, actions, context: alertContext(pass.snapshot, pass.trends) });
  return { pass, runningDrift, rotation, pruning, actions, findings, notified };
}
