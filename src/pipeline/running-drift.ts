// RUNNING_DRIFT (issue #13): the `docker diff` of running containers, in `check` and
// the daemon's full pass. `docker diff` walks the container's whole writable layer and
// holds its lock meanwhile, so: only containers whose last check is at least
// drift.runningInterval old, one at a time (never two diffs at once), each timed and
// recorded with its cost. A suspicious one gets its alert (the finding), a forensic
// bundle taken from the running container (one per new set of outside paths), and with
// drift.onSuspiciousRunning pause, a pause. A dry run checks and shows, but writes no
// bundle, pauses nothing and records nothing: the next pass that acts must still find
// the container due and act on what it finds. `check` under a daemon checks nothing.

import { writeForensicBundle } from '../act/forensics.js';
import type { Action } from '../core/actions.js';
import { withSeverities } from '../core/audit.js';
import { unreadableDriftFindings } from '../core/drift.js';
import type { Finding } from '../core/model.js';
import { dueForDriftCheck, planRunningDrift, runningCheckFindings, runningDriftCheck, runningDriftFindings, type RunningDriftCheck, type RunningDriftPlan } from '../core/running-drift.js';
import { EngineUnreachableError } from '../errors.js';
import { profileFinding, readOnlyProfiles, type ReadOnlyProfile } from '../core/readonly-profile.js';
import type { ContainerFacts } from '../core/model.js';
import { earlierOutsideSet, lastRunningDriftChecks, recordRunningDriftCheck, runningDriftWrites, setRunningDriftBundle, thinRunningDrift } from '../state/running-drift.js';
import { driftOf } from './drift.js';
import type { Pass } from './gather.js';
import type { Run } from './run.js';
import { journal, storeWrite } from './store-writes.js';

export interface RunningDrift {
  /** The checks this pass made, in the order it made them. */
  checks: RunningDriftCheck[];
  /** What a suspicious check called for (a bundle, a pause); under a dry run, what
   *  would have been done. */
  plan: RunningDriftPlan[];
  actions: Action[];
  /** RUNNING_DRIFT of the containers checked now, and COLLECTOR_FAILED of those whose
   *  diff failed; replace what the store said of them in the pass's findings. */
  findings: Finding[];
  /** Due containers left for the next pass: this one's checks used drift.runningBudget. */
  deferred: number;
}

export const NO_RUNNING_DRIFT: RunningDrift = { checks: [], plan: [], actions: [], findings: [], deferred: 0 };

/** `act`: false when a daemon acts for this store (check then only reports). */
export async function checkRunningDrift(run: Run, pass: Pass, options: { dryRun: boolean; act: boolean }): Promise<RunningDrift> {
  const { config } = run;
  // Part of the audit: off with it, as the other audit findings are (issue #13). Not in a
  // `check` while a daemon acts for this store either: the daemon checks, and a check
  // that records nothing would diff every due container again at every timer run.
  if (!config.audit.enabled || pass.foreignStore || !options.act) return NO_RUNNING_DRIFT;
  const acting = options.act && !options.dryRun;
  const last = lastRunningDriftChecks(run.db);
  const lastAt = new Map([...last].map(([id, c]) => [id, c.checkedAt]));
  const due = dueForDriftCheck(pass.snapshot.containers, lastAt, pass.now, config.drift.runningInterval);
  const result: RunningDrift = { checks: [], plan: [], actions: [], findings: [], deferred: 0 };
  const budgetFrom = performance.now();
  // One at a time: each diff holds its container's lock and walks its layer, and two at
  // once would double the I/O the check is meant to keep small.
  for (const [index, c] of due.entries()) {
    // drift.runningBudget: a host of many running containers is checked over several
    // passes, oldest first, and the daemon's rotations (which wait for its pass) are not
    // held up for minutes (the review of #13: 1,000 containers took one pass).
    if (performance.now() - budgetFrom >= config.drift.runningBudget) {
      result.deferred = due.length - index;
      break;
    }
    const checkedAt = run.io.now();
    const started = performance.now();
    const found = (await driftOf(run, [c])).get(c.id)!;
    const durationMs = performance.now() - started;
    if (found instanceof Error) {
      result.findings.push(...unreadableDriftFindings([{ containerId: c.id, name: c.name, error: found.message }]));
      continue;
    }
    const fresh = runningDriftCheck(c, found.changes, found.drift, checkedAt, durationMs, null);
    const earlier = earlierOutsideSet(run.db, c.id, fresh.outsideKey);
    const plan = planRunningDrift(fresh, earlier, config.drift.onSuspiciousRunning);
    // The same drift as before keeps pointing at the bundle written for it.
    let check = { ...fresh, bundle: earlier.bundle };
    // No record, no bundle and no pause: a check the store cannot keep (held in memory, a
    // full disk) makes the same drift new at every pass, a bundle every five minutes and
    // a container paused again right after someone unpaused it. The finding still alerts.
    let row: number | null = null;
    if (acting && !run.db.memory) storeWrite(run, 'the running-drift check', () => void (row = recordRunningDriftCheck(run.db, check)));
    if (plan) {
      result.plan.push(plan);
      if (acting && row !== null) {
        const folder = await actOn(run, c, plan, found.changes, checkedAt, result.actions);
        if (folder !== null) {
          check = { ...check, bundle: folder };
          const recorded = row;
          storeWrite(run, 'the running-drift check', () => setRunningDriftBundle(run.db, recorded, folder));
        }
      } else if (acting) run.warn(`running drift: ${c.name}: no forensic bundle${plan.pause ? ' and no pause' : ''}, as the state store cannot record the check (see STATE_UNAVAILABLE)`);
      else if (options.act) {
        for (const action of [...(plan.bundle ? ['bundle'] : []), ...(plan.pause ? ['pause'] : [])]) {
          journal(run, { at: checkedAt.toISOString(), action, target: c.name, containerId: c.id, reason: plan.reason, outcome: 'dry-run', bytesFreed: null, details: null });
        }
      }
    }
    result.checks.push(check);
    result.findings.push(...withSeverities(runningCheckFindings(check), config.audit.severity));
  }
  // Only when something was recorded: a pass that checked nothing has nothing to thin.
  if (acting && result.checks.length > 0) {
    // A stopped container keeps its checks (it may run again, and what it wrote is what a
    // WRITABLE_ROOTFS suggestion reads); a removed one's go, its bundles stay on disk.
    const listComplete = !pass.snapshot.failures.some((f) => f.collector === 'containers');
    storeWrite(run, 'the thinning of running-drift checks', () => thinRunningDrift(run.db, listComplete ? pass.snapshot.containers.map((c) => c.id) : null));
  }
  return result;
}

/** The bundle first (evidence before anything happens to the container), then the
 *  pause. Each journalled; a failure is an ACTION_FAILED. Returns the bundle's folder. */
async function actOn(run: Run, c: Pass['snapshot']['containers'][number], plan: RunningDriftPlan, changes: Parameters<typeof writeForensicBundle>[3], checkedAt: Date, actions: Action[]): Promise<string | null> {
  let folder: string | null = null;
  const entry = { containerId: c.id, target: c.name, bytesFreed: null } as const;
  if (plan.bundle) {
    try {
      const inspect = await run.client.inspectContainer(c.id);
      // Removed since the list: there is nothing left to keep.
      if (inspect) {
        folder = (await writeForensicBundle(run.client, c, inspect, changes, run.config.logs.archiveDir, checkedAt)).folder;
        actions.push({ action: 'bundle', ...entry, outcome: 'done', message: `${plan.reason}: forensic bundle in ${folder}`, news: true, finding: null });
        journal(run, { at: run.io.now().toISOString(), action: 'bundle', target: c.name, containerId: c.id, reason: plan.reason, outcome: 'done', bytesFreed: null, details: folder });
      }
    } catch (error) {
      if (error instanceof EngineUnreachableError) throw error;
      const message = `its forensic bundle could not be written (${(error as Error).message})`;
      actions.push({ action: 'bundle', ...entry, outcome: 'failed', message, news: true, finding: { code: 'ACTION_FAILED', severity: 'warning' } });
      journal(run, { at: run.io.now().toISOString(), action: 'bundle', target: c.name, containerId: c.id, reason: plan.reason, outcome: 'failed', bytesFreed: null, details: message });
    }
  }
  if (plan.pause) {
    try {
      await run.client.pauseContainer(c.id);
      actions.push({ action: 'pause', ...entry, outcome: 'done', message: `${plan.reason}: paused; docker unpause ${c.name} once it has been looked at`, news: true, finding: null });
      journal(run, { at: run.io.now().toISOString(), action: 'pause', target: c.name, containerId: c.id, reason: plan.reason, outcome: 'done', bytesFreed: null, details: null });
    } catch (error) {
      if (error instanceof EngineUnreachableError) throw error;
      const message = `it could not be paused (${(error as Error).message})`;
      actions.push({ action: 'pause', ...entry, outcome: 'failed', message, news: true, finding: { code: 'ACTION_FAILED', severity: 'warning' } });
      journal(run, { at: run.io.now().toISOString(), action: 'pause', target: c.name, containerId: c.id, reason: plan.reason, outcome: 'failed', bytesFreed: null, details: message });
    }
  }
  return folder;
}

/** What the store says of running containers' drift, without a diff. */
export interface RecordedDrift {
  /** The last check of each container, by id. */
  lastChecks: ReadonlyMap<string, RunningDriftCheck>;
  /** WRITABLE_ROOTFS: the read-only profiles their recorded checks allow. */
  profiles: ReadOnlyProfile[];
  /** RUNNING_DRIFT and SETUID_DRIFT of each last check, and the profiles' findings, with
   *  audit.severity applied. */
  findings: Finding[];
}

export const NO_RECORDED_DRIFT: RecordedDrift = { lastChecks: new Map(), profiles: [], findings: [] };

/** The recorded drift of these containers (gather, for every command while the audit
 *  is on): `report` and `watchdog audit` run no diff; a full pass replaces the findings
 *  of the containers it checks again. Reads the store only. */
export function recordedDrift(run: Run, containers: readonly ContainerFacts[]): RecordedDrift {
  const lastChecks = lastRunningDriftChecks(run.db);
  const profiles = readOnlyProfiles(containers, (id) => {
    const writes = runningDriftWrites(run.db, id);
    return writes && { checks: writes.checks, since: writes.firstCheckedAt, changes: writes.written, truncated: writes.truncated };
  });
  const findings = withSeverities([...runningDriftFindings(lastChecks, containers), ...profiles.map(profileFinding)], run.config.audit.severity);
  return { lastChecks, profiles, findings };
}
