// `watchdog rotate [CONTAINER...]`: plan the rotation of live json-file logs that have
// no max-size (all over logs.maxSize, or the ones named), print the plan with a reason
// per container, and unless --dry-run apply exactly it, journalling every action.

import { actionFindings, rotationActions } from '../core/actions.js';
import { sortFindings } from '../core/evaluate.js';
import type { Outcome } from '../core/outcome.js';
import { renderRotation } from '../core/render/actions.js';
import { gather, namedContainers, runFindings } from '../pipeline/gather.js';
import { writeJson, type Io } from '../pipeline/io.js';
import { planRotation, requireLocal, rotateLogs } from '../pipeline/rotation.js';
import { withRun, type RunOptions } from '../pipeline/run.js';

export interface RotateOptions extends RunOptions {
  containers: string[];
  dryRun: boolean;
  json: boolean;
}

export function rotateCommand(options: RotateOptions, io: Io): Promise<Outcome> {
  return withRun(options, io, async (run) => {
    const pass = await gather(run, 'skip');
    requireLocal(pass.snapshot, 'Rotation');
    const named = options.containers.length > 0 ? namedContainers(pass.snapshot, options.containers) : null;
    const rotation = await rotateLogs(run, pass.snapshot, planRotation(run, pass.snapshot, named, false), options.dryRun);
    const findings = sortFindings([...runFindings(run, pass), ...actionFindings(rotationActions(rotation.results))]);

    if (options.json) await writeJson(io, { dryRun: options.dryRun, plan: rotation.plan, results: rotation.results, archivesRemoved: rotation.archivesRemoved, findings });
    else io.stdout.write(renderRotation(rotation, findings, { showKept: named !== null, maxSize: run.config.logs.maxSize }));
    return { findings };
  });
}
