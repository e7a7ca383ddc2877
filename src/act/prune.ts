// Removing exited containers, exactly as planned, each re-checked just before: one that
// ran again since the plan (a different finishedAt) is never removed, and a suspicious
// one is removed only once its forensic bundle is on disk, if at all.

import type { PruneResult } from '../core/actions.js';
import type { Change, Drift } from '../core/drift.js';
import type { ContainerFacts } from '../core/model.js';
import { isExited } from '../core/model.js';
import type { PruneItem } from '../core/plan-prune.js';
import type { EngineClient } from '../engine/client.js';
import { timeOrNull } from '../engine/shapes.js';
import { writeForensicBundle } from './forensics.js';

export interface PruneContext {
  client: EngineClient;
  archiveDir: string;
  removeVolumes: boolean;
  /** `docker diff` asked again, uncached, just before a clean container is removed:
   *  a `docker cp` into a stopped container changes its layer without a trace in the
   *  change token the cache relies on. */
  recheckDrift: (container: ContainerFacts) => Promise<Drift>;
}

export async function applyPruneItem(item: PruneItem, facts: ContainerFacts, changes: Change[] | null, ctx: PruneContext): Promise<PruneResult> {
  const result = { containerId: item.containerId, name: item.name, bytesFreed: null, bundle: null, newBundle: false };
  const inspect = await ctx.client.inspectContainer(item.containerId);
  if (!inspect) return { ...result, outcome: 'skipped', message: 'skipped: the container is gone' };
  const state = inspect.State?.Status ?? 'unknown';
  if (!isExited(state) || timeOrNull(inspect.State?.FinishedAt) !== item.finishedAt) return { ...result, outcome: 'skipped', message: `skipped: it ran again since the plan (now ${state})` };

  let bundle: string | null = null;
  let newBundle = false;
  if (item.drift?.status === 'suspicious' && changes) {
    try {
      ({ folder: bundle, created: newBundle } = await writeForensicBundle(ctx.client, facts, inspect, changes, ctx.archiveDir));
    } catch (error) {
      return { ...result, outcome: 'failed', message: `held: its forensic bundle could not be written (${(error as Error).message}), so it is kept` };
    }
  }
  if (item.action === 'hold') return { ...result, bundle, newBundle, outcome: 'held', message: bundle ? `held; forensic bundle in ${bundle}` : 'held' };
  if (item.action === 'prune') {
    const now = await ctx.recheckDrift(facts).catch((error: Error) => error);
    if (now instanceof Error || now.status === 'suspicious') {
      return { ...result, outcome: 'held', message: `held: ${now instanceof Error ? `drift could not be checked again (${now.message})` : `its drift changed since the plan: ${now.reason}`}` };
    }
  }

  try {
    await ctx.client.removeContainer(item.containerId, ctx.removeVolumes);
  } catch (error) {
    return { ...result, bundle, newBundle, outcome: 'failed', message: `failed: ${(error as Error).message}` };
  }
  return { ...result, bundle, newBundle, outcome: 'done', message: bundle ? `removed after forensic export to ${bundle}` : 'removed', bytesFreed: item.footprintBytes };
}
