// `watchdog rotate [CONTAINER...]`: plan the rotation of live json-file logs that have
// no max-size (all over logs.maxSize, or the ones named), print the plan with a reason
// per container, and unless --dry-run apply exactly it, journalling every action.

import { actionFindings, rotationActions } from '../core/actions.js';
import { sortFindings } from '../core/evaluate.js';
import type { Outcome } from '../core/outcome.js';
import { renderRotation } from '../core/render/actions.js';
import { gather, namedContainers, runFindings } from '../pipeline/gather.js';
import { printOutput, type Io, type Output } from '../pipeline/io.js';
import { planRotation, requireLocal, rotateLogs } from '../pipeline/rotation.js';
import { withRun, type RunOptions } from '../pipeline/run.js';

export interface RotateOptions extends RunOptions {
  containers: string[];
  dryRun: boolean;
  json: boolean;
}

export async function rotateCommand(options: RotateOptions, io: Io): Promise<Outcome> {
  const { findings, output } = await withRun(options, io, async (run) => {
    const pass = await gather(run, 'skip');
    requireLocal(pass.snapshot, 'Rotation');
    const named = options.containers.length > 0 ? namedContainers(pass.snapshot, options.containers) : null;
    const rotation = await rotateLogs(run, pass.snapshot, planRotation(run, pass.snapshot, named, false), options.dryRun);
    const findings = sortFindings([...runFindings(run, pass), ...actionFindings(rotationActions(rotation.results))]);

    const output: Output = options.json ? { json: { dryRun: options.dryRun, plan: rotation.plan, results: rotation.results, archivesRemoved: rotation.archivesRemoved, findings } } : { text: renderRotation(rotation, findings, { showKept: named !== null, maxSize: run.config.logs.maxSize }) };
    return { findings, output };
  });
  await printOutput(io, output);
  return { findings };
}
