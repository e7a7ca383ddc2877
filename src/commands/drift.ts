// `watchdog drift [CONTAINER...]`: what `docker diff` says about exited containers (or
// the ones named): clean, suspicious (changes outside drift.allow, or a setuid or setgid
// file anywhere: SETUID_DRIFT) or not applicable.
// Suspicious ones get their forensic bundle unless --dry-run.

import { actionFindings } from '../core/actions.js';
import { driftFindings, unreadableDriftFindings } from '../core/drift.js';
import { sortFindings } from '../core/evaluate.js';
import { isExited } from '../core/model.js';
import type { Outcome } from '../core/outcome.js';
import { renderDrift } from '../core/render/actions.js';
import { driftWithBundles } from '../pipeline/drift.js';
import { gather, namedContainers, runFindings } from '../pipeline/gather.js';
import { printOutput, type Io, type Output } from '../pipeline/io.js';
import { withRun, type RunOptions } from '../pipeline/run.js';

export interface DriftOptions extends RunOptions {
  containers: string[];
  dryRun: boolean;
  json: boolean;
}

export async function driftCommand(options: DriftOptions, io: Io): Promise<Outcome> {
  const { findings, output } = await withRun(options, io, async (run) => {
    const pass = await gather(run, 'skip');
    const targets = options.containers.length > 0 ? namedContainers(pass.snapshot, options.containers) : pass.snapshot.containers.filter((c) => isExited(c.state));
    const { rows, actions } = await driftWithBundles(run, targets, options.dryRun);
    const findings = sortFindings([...runFindings(run, pass), ...driftFindings(rows, run.config.audit.severity), ...unreadableDriftFindings(rows), ...actionFindings(actions)]);

    const output: Output = options.json ? { json: { dryRun: options.dryRun, containers: rows, findings } } : { text: renderDrift(rows, findings) };
    return { findings, output };
  });
  await printOutput(io, output);
  return { findings };
}
