// `watchdog check`: one pass for a timer or cron. Gather, decide (rotation and prune
// plans), act (unless --dry-run), record, notify, and print only when something
// happened, so cron mails only news. The exit code is the worst finding, as for report.
// While a `watchdog watch` daemon holds this store's lease, it acts and mails: check
// then only reports, so nothing is done or sent twice (issue #11).

import { bytesFreed } from '../core/actions.js';
import { sortFindings } from '../core/evaluate.js';
import { buildMetricsReport } from '../core/report.js';
import type { Outcome } from '../core/outcome.js';
import { renderCheck } from '../core/render/actions.js';
import { runningDaemon } from '../pipeline/daemon-lease.js';
import { fullPass } from '../pipeline/full-pass.js';
import { publishMetrics, requireTextfileDir } from '../pipeline/metrics.js';
import { printOutput, type Io, type Output } from '../pipeline/io.js';
import { withRun, type RunOptions } from '../pipeline/run.js';

export interface CheckOptions extends RunOptions {
  dryRun: boolean;
  json: boolean;
  /** node_exporter's textfile folder: write docker_watchdog.prom there (issue #12). */
  textfile?: string;
}

export async function checkCommand(options: CheckOptions, io: Io): Promise<Outcome> {
  requireTextfileDir(options.textfile);
  const { findings, output } = await withRun({ ...options, sendsMail: true, progress: !options.json }, io, async (run) => {
    const { dryRun } = options;
    const daemon = runningDaemon(run.statePath, io, run.db);
    const done = await fullPass(run, { dryRun, rotate: true, act: daemon === null });
    const { rotation, pruning, actions, pass } = done;
    const failed = publishMetrics(run, buildMetricsReport(pass.snapshot, done.findings, pass.timings, pass.trends, daemon), options.textfile);
    const findings = failed.length > 0 ? sortFindings([...done.findings, ...failed]) : done.findings;

    const output: Output = options.json
      ? { json: { schemaVersion: 1, generatedAt: pass.now.toISOString(), dryRun, daemon, findings, rotation, prune: pruning, runningDrift: { checks: done.runningDrift.checks, plan: done.runningDrift.plan, deferred: done.runningDrift.deferred }, freedBytes: bytesFreed(actions) } }
      : { text: renderCheck({ rotation, pruning, actions, findings, dryRun, daemon, maxSize: run.config.logs.maxSize, top: 5, runningDrift: done.runningDrift }) };
    return { findings, output };
  });
  await printOutput(io, output);
  return { findings };
}
