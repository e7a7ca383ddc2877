// Thaw what a killed run froze (issue #9). A watchdog killed with SIGKILL while a
// container was paused for the last copy of its log leaves it frozen; its intent is in
// the freeze ledger (act/freezes.ts). Every run looks there first, and unpauses each
// container whose freezer is gone: with a critical finding, since the container's
// service was down for however long it stayed frozen.

import { freezeLedger, type FreezeLedger } from '../act/freezes.js';
import { thaw } from '../act/rotate.js';
import type { Finding } from '../core/model.js';
import { runtimePath } from '../files/runtime.js';
import type { EngineClient } from '../engine/client.js';
import type { Io } from './io.js';

/** The freeze ledger of one engine, in the runtime folder. */
export function ledgerOf(io: Io, engineId: string): FreezeLedger {
  return freezeLedger(runtimePath(io.env, 'frozen', engineId.replace(/[^A-Za-z0-9_.-]/g, '_')));
}

/** Thaws what processes now gone left frozen; one finding for each container that was. */
export async function thawOrphans(client: EngineClient, ledger: FreezeLedger): Promise<Finding[]> {
  const findings: Finding[] = [];
  for (const freeze of ledger.orphans()) {
    const inspect = await client.inspectContainer(freeze.containerId);
    if (inspect?.State?.Paused !== true) {
      // Gone, or thawed already (the run died after its unpause, or someone unpaused it).
      ledger.forget(freeze.containerId);
      continue;
    }
    const who = `${freeze.name} was left paused by a watchdog run that ended mid-rotation (pid ${freeze.pid}, paused since ${freeze.since})`;
    try {
      await thaw(client, freeze.containerId);
      ledger.forget(freeze.containerId);
      findings.push({ code: 'CONTAINER_THAWED', severity: 'critical', containerId: freeze.containerId, subject: freeze.name, message: `${who}; it is unpaused now` });
    } catch (error) {
      findings.push({ code: 'ACTION_FAILED', severity: 'critical', containerId: freeze.containerId, subject: freeze.name, message: `${who}: ${(error as Error).message}` });
    }
  }
  return findings;
}
