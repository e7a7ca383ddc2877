// Pruning of exited containers: plan (core/plan-prune.ts: candidates by age, labels,
// patterns and the disk pressure gather decided, then their drift), act
// (act/prune.ts, each item re-checked just before), journal.

import { applyPruneItem } from '../act/prune.js';
import type { PruneResult, Pruning } from '../core/actions.js';
import { changesFrom, containerDrift, type Drift } from '../core/drift.js';
import { containerListFindings } from '../core/evaluate.js';
import type { ContainerFacts, Finding } from '../core/model.js';
import { decidePrune, driftFindings, pruneCandidates, type PruneItem } from '../core/plan-prune.js';
import { EngineUnreachableError } from '../errors.js';
import { appendJournal } from '../state/journal.js';
import { driftOf, type DriftById } from './drift.js';
import type { Pass } from './gather.js';
import type { Run } from './run.js';

export interface PrunePlan {
  items: PruneItem[];
  drift: DriftById;
  /** The suspicious containers it met, and why there is no plan (a partial list). */
  findings: Finding[];
}

export async function planPrune(run: Run, pass: Pass): Promise<PrunePlan> {
  const { config, now } = run;
  const { containers } = pass.snapshot;
  // With part of the list missing, keepLast could remove the newest container of an
  // image: no plan at all.
  const incomplete = containerListFindings(pass.snapshot);
  if (incomplete.length > 0) return { items: [], drift: new Map(), findings: incomplete };
  const candidates = pruneCandidates(containers, config.containers.exited, pass.pressure, config.escalation, now.getTime());
  const wanted = new Set(candidates.filter((i) => i.action === 'candidate').map((i) => i.containerId));
  const drift = await driftOf(run, containers.filter((c) => wanted.has(c.id)));
  const classified = new Map<string, Drift | Error>([...drift].map(([id, found]) => [id, found instanceof Error ? found : found.drift]));
  const items = decidePrune(candidates, classified, config.drift);
  return { items, drift, findings: driftFindings(items) };
}

export async function pruneContainers(run: Run, pass: Pass, plan: PrunePlan, dryRun: boolean): Promise<PruneResult[]> {
  if (dryRun) return [];
  const { client, config } = run;
  const byId = new Map(pass.snapshot.containers.map((c) => [c.id, c]));
  const ctx = {
    client,
    archiveDir: config.logs.archiveDir,
    removeVolumes: config.containers.exited.removeVolumes,
    recheckDrift: async (c: ContainerFacts) => containerDrift(changesFrom(await client.containerChanges(c.id)), c, config.drift.allow),
  };
  const results: PruneResult[] = [];
  for (const item of plan.items.filter((i) => i.action !== 'keep' && i.action !== 'candidate')) {
    const found = plan.drift.get(item.containerId);
    // One container the engine will not talk about must not stop the others (nor lose
    // the record of those already removed).
    results.push(
      await applyPruneItem(item, byId.get(item.containerId)!, found && !(found instanceof Error) ? found.changes : null, ctx).catch((error: Error) => {
        if (error instanceof EngineUnreachableError) throw error;
        return { containerId: item.containerId, name: item.name, outcome: 'failed' as const, message: `failed: ${error.message}`, bytesFreed: null, bundle: null, newBundle: false };
      }),
    );
  }
  return results;
}

/** `everyReason`: a prune by hand journals why each container was kept too; the timer
 *  journals only what it did or held, not "kept: running" every 5 minutes. */
export function journalPruning(run: Run, pruning: Pruning, options: { dryRun: boolean; everyReason: boolean }): void {
  const resultById = new Map(pruning.results.map((r) => [r.containerId, r]));
  for (const item of pruning.plan) {
    const result = resultById.get(item.containerId);
    if (!options.everyReason && !result) continue;
    appendJournal(run.db, {
      at: run.now.toISOString(),
      action: item.action === 'keep' ? 'keep' : item.action === 'hold' ? 'hold' : 'prune',
      target: item.name,
      containerId: item.containerId,
      reason: item.reason,
      outcome: options.dryRun ? 'dry-run' : result ? (result.outcome === 'held' ? 'skipped' : result.outcome) : 'skipped',
      bytesFreed: result?.bytesFreed ?? null,
      details: result ? [result.message, result.bundle].filter(Boolean).join('; ') : null,
    });
  }
}
