// `watchdog check`: one pass for a timer or cron. Gather, decide (rotation and prune
// plans), act (unless --dry-run), record, notify, and print only when something
// happened, so cron mails only news. The exit code is the worst finding, as for report.

import { actionFindings, bytesFreed, pruneActions, rotationActions } from '../core/actions.js';
import { alertContext } from '../core/alerts.js';
import { sortFindings, stateFindings } from '../core/evaluate.js';
import type { Outcome } from '../core/outcome.js';
import { renderCheck } from '../core/render/actions.js';
import { gather } from '../pipeline/gather.js';
import { writeJson, type Io } from '../pipeline/io.js';
import { notify } from '../pipeline/notify.js';
import { planPrune, pruneContainers } from '../pipeline/pruning.js';
import { record } from '../pipeline/record.js';
import { planRotation, rotateLogs } from '../pipeline/rotation.js';
import { withRun, type RunOptions } from '../pipeline/run.js';

export interface CheckOptions extends RunOptions {
  dryRun: boolean;
  json: boolean;
}

export function checkCommand(options: CheckOptions, io: Io): Promise<Outcome> {
  return withRun({ ...options, sendsMail: true }, io, async (run) => {
    const { dryRun } = options;
    const pass = await gather(run, 'reuse');
    // On a remote engine logs cannot be rotated: the rest of the pass still runs.
    const rotation = pass.snapshot.engine?.local ? await rotateLogs(run, pass.snapshot, planRotation(run, pass.snapshot, null, true), dryRun) : null;
    const prunePlan = await planPrune(run, pass);
    const pruning = { plan: prunePlan.items, results: await pruneContainers(run, pass, prunePlan, { dryRun, everyReason: dryRun }) };
    record(run, pass);

    const actions = [...rotationActions(rotation?.results ?? []), ...pruneActions(pruning.results)];
    const findings = sortFindings([...pass.findings, ...prunePlan.findings, ...actionFindings(actions), ...stateFindings(run.storeProblems)]);
    if (!dryRun) await notify(run, { at: pass.now, host: pass.snapshot.engine?.hostName ?? '', findings, actions, context: alertContext(pass.snapshot, pass.trends) });

    if (options.json) {
      writeJson(io, { schemaVersion: 1, generatedAt: pass.now.toISOString(), dryRun, findings, rotation, prune: pruning, freedBytes: bytesFreed(actions) });
    } else {
      io.stdout.write(renderCheck({ rotation, pruning, actions, findings, dryRun, maxSize: run.config.logs.maxSize, top: 5 }));
    }
    return { findings };
  });
}
