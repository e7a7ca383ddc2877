// `watchdog prune`: plan which exited containers go (age, keepLast, labels, patterns,
// disk pressure), check the drift of those that would, print the plan with a reason per
// container, and unless --dry-run apply exactly it. Suspicious ones get a forensic
// bundle first and are held (or pruned after it, with drift.onSuspicious).

import { actionFindings, pruneActions } from '../core/actions.js';
import { sortFindings } from '../core/evaluate.js';
import type { Outcome } from '../core/outcome.js';
import { renderPruning } from '../core/render/actions.js';
import { gather, runFindings } from '../pipeline/gather.js';
import { printOutput, type Io, type Output } from '../pipeline/io.js';
import { planPrune, pruneContainers } from '../pipeline/pruning.js';
import { withRun, type RunOptions } from '../pipeline/run.js';

export interface PruneOptions extends RunOptions {
  dryRun: boolean;
  json: boolean;
}

export async function pruneCommand(options: PruneOptions, io: Io): Promise<Outcome> {
  const { findings, output } = await withRun(options, io, async (run) => {
    const pass = await gather(run, 'skip');
    const plan = await planPrune(run, pass);
    const pruning = { plan: plan.items, results: await pruneContainers(run, pass, plan, { dryRun: options.dryRun, everyReason: true }) };
    const actions = pruneActions(pruning.results);
    const findings = sortFindings([...runFindings(run, pass), ...plan.findings, ...actionFindings(actions)]);

    const output: Output = options.json ? { json: { dryRun: options.dryRun, plan: pruning.plan, results: pruning.results, findings } } : { text: renderPruning(pruning, actions, findings, options.dryRun) };
    return { findings, output };
  });
  await printOutput(io, output);
  return { findings };
}
