// Pruning of exited containers: plan (core/plan-prune.ts: candidates by age, labels,
// patterns and the disk pressure gather decided, then their drift), act
// (act/prune.ts, each item re-checked just before), journal.

import { applyPruneItem } from '../act/prune.js';
import { collectModes } from '../collect/modes.js';
import type { PruneResult } from '../core/actions.js';
import { changesFrom, containerDrift, driftFindings, type Change, type Drift } from '../core/drift.js';
import { containerListFindings } from '../core/evaluate.js';
import type { ContainerFacts, Finding } from '../core/model.js';
import { decidePrune, pruneCandidates, type PruneItem } from '../core/plan-prune.js';
import { EngineUnreachableError } from '../errors.js';
import { driftOf, type DriftById } from './drift.js';
import { requireUsableArchiveDir } from './rotation.js';
import type { Pass } from './gather.js';
import { journal } from './store-writes.js';
import type { Run } from './run.js';

export interface PrunePlan {
  items: PruneItem[];
  drift: DriftById;
  /** The suspicious containers it met. */
  findings: Finding[];
}

export async function planPrune(run: Run, pass: Pass): Promise<PrunePlan> {
  const { config } = run;
  const { containers } = pass.snapshot;
  // With part of the list missing, keepLast could remove the newest container of an
  // image: no plan at all (the COLLECTOR_FAILED finding says why).
  if (containerListFindings(pass.snapshot).length > 0) return { items: [], drift: new Map(), findings: [] };
  const candidates = pruneCandidates(containers, config.containers.exited, pass.pressure, config.escalation, pass.now.getTime());
  const wanted = new Set(candidates.filter((i) => i.action === 'candidate').map((i) => i.containerId));
  const drift = await driftOf(run, containers.filter((c) => wanted.has(c.id)));
  const classified = new Map<string, Drift | Error>([...drift].map(([id, found]) => [id, found instanceof Error ? found : found.drift]));
  const items = decidePrune(candidates, classified, config.drift);
  return { items, drift, findings: driftFindings(items, config.audit.severity) };
}

/**
 * Applies the plan (unless dryRun), journalling each result as soon as it is known: an
 * engine that goes away mid-prune loses none of the removals already done.
 * `everyReason`: a prune by hand (or any dry run) journals why each container was kept
 * too; the timer journals only what it did or held, not "kept: running" every 5 minutes.
 */
export async function pruneContainers(run: Run, pass: Pass, plan: PrunePlan, options: { dryRun: boolean; everyReason: boolean }): Promise<PruneResult[]> {
  requireUsableArchiveDir(run, pass.snapshot);
  const { client, config } = run;
  const journalItem = (item: PruneItem, result: PruneResult | null) =>
    journal(run, {
      at: pass.now.toISOString(),
      action: item.action === 'keep' ? 'keep' : item.action === 'hold' ? 'hold' : 'prune',
      target: item.name,
      containerId: item.containerId,
      reason: item.reason,
      outcome: options.dryRun ? 'dry-run' : result ? (result.outcome === 'held' ? 'skipped' : result.outcome) : 'skipped',
      bytesFreed: result?.bytesFreed ?? null,
      details: result ? [result.message, result.bundle].filter(Boolean).join('; ') : null,
    });
  const byId = new Map(pass.snapshot.containers.map((c) => [c.id, c]));
  const ctx = {
    client,
    archiveDir: config.logs.archiveDir,
    removeVolumes: config.containers.exited.removeVolumes,
    recheckDrift: async (c: ContainerFacts) => {
      const changes = changesFrom(await client.containerChanges(c.id));
      // Modes too: a setuid file copied in since the plan makes it suspicious. The plan
      // read them moments ago; while the changes are the same list they still answer,
      // and asking again would cost each removal up to drift.maxModeChecks requests
      // (3 to 5 ms each on an exited container: minutes for a prune of many big layers).
      const planned = plan.drift.get(c.id);
      const reused = planned && !(planned instanceof Error) && sameChanges(planned.changes, changes) ? planned.drift.modes : undefined;
      const modes = reused ?? (await collectModes(client, [c], new Map([[c.id, changes]]), config.drift.maxModeChecks, null)).get(c.id);
      if (modes instanceof Error) throw modes;
      return containerDrift(changes, c, config.drift.allow, modes);
    },
  };
  const results: PruneResult[] = [];
  const acting = options.dryRun ? [] : plan.items.filter((i) => i.action !== 'keep' && i.action !== 'candidate');
  for (const item of acting) {
    const found = plan.drift.get(item.containerId);
    // One container the engine will not talk about must not stop the others.
    const result = await applyPruneItem(item, byId.get(item.containerId)!, found && !(found instanceof Error) ? found.changes : null, ctx).catch((error: Error) => {
      if (error instanceof EngineUnreachableError) throw error;
      return { containerId: item.containerId, name: item.name, outcome: 'failed' as const, message: `failed: ${error.message}`, bytesFreed: null, bundle: null, newBundle: false };
    });
    results.push(result);
    journalItem(item, result);
  }
  if (options.everyReason) {
    const acted = new Set(results.map((r) => r.containerId));
    for (const item of plan.items) if (!acted.has(item.containerId)) journalItem(item, null);
  }
  return results;
}

/** The same changes, whatever their order: every path with the same kind. */
function sameChanges(a: readonly Change[], b: readonly Change[]): boolean {
  if (a.length !== b.length) return false;
  const kinds = new Map(a.map((c) => [c.path, c.kind]));
  return b.every((c) => kinds.get(c.path) === c.kind);
}
