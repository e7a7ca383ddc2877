// Thaw what a killed run froze (issue #9). A watchdog killed with SIGKILL while a
// container was paused for the last copy of its log leaves it frozen; its intent is in
// the freeze ledger (act/freezes.ts). Every run looks there first, and unpauses each
// container whose freezer is gone: with a critical finding, since the container's
// service was down for however long it stayed frozen.

import { freezeLedger, isPaused, thaw, type FreezeLedger } from '../act/freezes.js';
import type { EngineFacts, Finding } from '../core/model.js';
import { safeFileName } from '../core/names.js';
import { EngineUnreachableError } from '../errors.js';
import { runtimePath } from '../files/runtime.js';
import type { Io } from './io.js';
import { journal } from './store-writes.js';
import type { Run } from './run.js';

/** The freeze ledger of one engine, in the runtime folder. */
export function ledgerOf(io: Io, engine: Pick<EngineFacts, 'id' | 'dockerRootDir'>): FreezeLedger {
  return freezeLedger(runtimePath(io.env, 'frozen', safeFileName(engine.id)), engine.dockerRootDir);
}

/** Thaws what processes now gone left frozen; one finding for each container that was
 *  (or could not be), and a journal entry for each thaw. Even in a dry run: the pause
 *  was the watchdog's own doing, and its service is down while it lasts. */
export async function thawOrphans(run: Run, ledger: FreezeLedger): Promise<Finding[]> {
  const findings: Finding[] = [];
  for (const freeze of ledger.orphans()) {
    const who = `${freeze.name} was left paused by a watchdog run that ended mid-rotation (pid ${freeze.pid}, paused since ${freeze.since})`;
    try {
      if (!(await isPaused(run.client, freeze.containerId))) {
        // Gone, or thawed already (the run died after its unpause, or someone unpaused it).
        ledger.dismiss(freeze);
        continue;
      }
      await thaw(run.client, freeze.containerId);
      ledger.dismiss(freeze);
      findings.push({ code: 'CONTAINER_THAWED', severity: 'critical', containerId: freeze.containerId, subject: freeze.name, message: `${who}; it is unpaused now` });
      journal(run, { at: run.io.now().toISOString(), action: 'thaw', target: freeze.name, containerId: freeze.containerId, reason: `paused by watchdog pid ${freeze.pid} since ${freeze.since}, which is gone`, outcome: 'done', bytesFreed: null, details: null });
    } catch (error) {
      if (error instanceof EngineUnreachableError) throw error;
      findings.push({ code: 'ACTION_FAILED', severity: 'critical', containerId: freeze.containerId, subject: freeze.name, message: `${who}: ${(error as Error).message}` });
    }
  }
  return findings;
}
