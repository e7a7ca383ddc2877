// `watchdog report`: gather (with what earlier runs remember), record, print. Never
// changes the host.

import { sortFindings, stateFindings } from '../core/evaluate.js';
import { buildReport } from '../core/report.js';
import { renderText } from '../core/render/report.js';
import type { Outcome } from '../core/outcome.js';
import { runningDaemon } from '../pipeline/daemon-lease.js';
import { gather } from '../pipeline/gather.js';
import { publishMetrics, requireTextfileDir } from '../pipeline/metrics.js';
import { printOutput, type Io, type Output } from '../pipeline/io.js';
import { record } from '../pipeline/record.js';
import { withRun, type RunOptions } from '../pipeline/run.js';

export interface ReportOptions extends RunOptions {
  json: boolean;
  color: boolean;
  top: number;
  /** Ask the engine for `docker system df` now, whatever the age of the last answer. */
  fresh: boolean;
  /** node_exporter's textfile folder: write docker_watchdog.prom there (issue #12). */
  textfile?: string;
}

export async function reportCommand(options: ReportOptions, io: Io): Promise<Outcome> {
  requireTextfileDir(options.textfile);
  const { findings, output } = await withRun({ ...options, progress: !options.json }, io, async (run) => {
    const pass = await gather(run, options.fresh ? 'fresh' : 'reuse');
    record(run, pass);
    const report = buildReport(pass.snapshot, sortFindings([...pass.findings, ...stateFindings(run.storeProblems)]), pass.timings, pass.trends, runningDaemon(run.statePath, io, run.db));
    const failed = publishMetrics(run, report, options.textfile);
    if (failed.length > 0) report.findings = sortFindings([...report.findings, ...failed]);
    const output: Output = options.json ? { json: report } : { text: renderText(report, { color: options.color && io.colorCapable, now: pass.now, top: options.top, history: pass.history }) };
    return { findings: report.findings, output };
  });
  await printOutput(io, output);
  return { findings };
}
