// `watchdog prune`: plan which exited containers go (age, keepLast, labels, patterns,
// disk pressure), check the drift of those that would, print the plan with a reason per
// container, and unless --dry-run apply exactly it. Suspicious ones get a forensic
// bundle first and are held (or pruned after it, with drift.onSuspicious).

import prettyBytes from 'pretty-bytes';
import { applyPruneItem, type PruneResult } from '../act/prune.js';
import { collectChanges } from '../collect/drift.js';
import { collectSnapshot } from '../collect/index.js';
import { loadConfig, type Config } from '../config/config.js';
import { changesFrom, containerDrift, type Drift } from '../core/drift.js';
import { evaluate } from '../core/evaluate.js';
import type { ContainerFacts, Finding, Snapshot } from '../core/model.js';
import { decidePrune, pressureOf, pruneCandidates, type PruneItem } from '../core/plan-prune.js';
import { table } from '../core/render.js';
import type { EngineClient } from '../engine/client.js';
import { connectEngine } from '../engine/client.js';
import { resolveHost } from '../engine/host.js';
import { EngineUnreachableError, UsageError } from '../errors.js';
import { withLockedStore, type StateOptions } from '../state/index.js';
import { appendJournal } from '../state/journal.js';
import type { Db } from '../state/store.js';
import { writeJson, type Io } from './io.js';

export interface PruneOptions extends StateOptions {
  host?: string;
  config?: string;
  dryRun: boolean;
  json: boolean;
}

export interface PrunePass {
  items: PruneItem[];
  results: PruneResult[];
  findings: Finding[];
}

/** Plans and (unless dryRun) applies the prune policy to a snapshot. Shared by
 *  `watchdog prune` and `watchdog check`. */
export async function prunePass(client: EngineClient, snapshot: Snapshot, config: Config, db: Db, now: Date, dryRun: boolean): Promise<PrunePass> {
  const pressure = pressureOf(evaluate(snapshot, config.thresholds));
  const candidates = pruneCandidates(snapshot.containers, config.containers, pressure, config.escalation, now.getTime());
  const byId = new Map(snapshot.containers.map((c) => [c.id, c]));
  const wanted = candidates.filter((i) => i.action === 'candidate').map((i) => byId.get(i.containerId)!);
  const changes = await collectChanges(client, wanted, db);
  const drift = new Map<string, Drift | Error>();
  for (const c of wanted) {
    const found = changes.get(c.id);
    drift.set(c.id, found instanceof Error || found === undefined ? (found ?? new Error('no answer')) : containerDrift(found, c, config.drift.allow));
  }
  const items = decidePrune(candidates, drift, config.drift);

  const findings: Finding[] = items
    .filter((i) => i.drift?.status === 'suspicious')
    .map((i) => ({ code: 'DRIFT_SUSPICIOUS', severity: i.drift!.critical.length > 0 ? 'critical' : 'warning', containerId: i.containerId, message: `${i.name}: ${i.drift!.reason}` }));

  const results: PruneResult[] = [];
  if (!dryRun) {
    const ctx = {
      client,
      archiveDir: config.logs.archiveDir,
      removeVolumes: config.containers.removeVolumes,
      recheckDrift: async (c: ContainerFacts) => containerDrift(changesFrom(await client.containerChanges(c.id)), c, config.drift.allow),
    };
    for (const item of items.filter((i) => i.action !== 'keep' && i.action !== 'candidate')) {
      const found = changes.get(item.containerId);
      // One container the engine will not talk about must not stop the others (nor lose
      // the record of those already removed).
      results.push(
        await applyPruneItem(item, byId.get(item.containerId)!, Array.isArray(found) ? found : null, ctx).catch((error: Error) => {
          if (error instanceof EngineUnreachableError) throw error;
          return { containerId: item.containerId, name: item.name, outcome: 'failed' as const, message: `failed: ${error.message}`, bytesFreed: null, bundle: null, newBundle: false };
        }),
      );
    }
  }
  return { items, results, findings };
}

export function journalPrune(db: Db, pass: PrunePass, now: Date, dryRun: boolean, onlyActions: boolean): void {
  const resultById = new Map(pass.results.map((r) => [r.containerId, r]));
  for (const item of pass.items) {
    const result = resultById.get(item.containerId);
    if (onlyActions && !result) continue;
    appendJournal(db, {
      at: now.toISOString(),
      action: item.action === 'keep' ? 'keep' : item.action === 'hold' ? 'hold' : 'prune',
      target: item.name,
      containerId: item.containerId,
      reason: item.reason,
      outcome: dryRun ? 'dry-run' : result ? (result.outcome === 'held' ? 'skipped' : result.outcome) : 'skipped',
      bytesFreed: result?.bytesFreed ?? null,
      details: result ? [result.message, result.bundle].filter(Boolean).join('; ') : null,
    });
  }
}

export function renderPrune(pass: PrunePass, showRunning: boolean): string {
  const shown = pass.items.filter((i) => showRunning || i.finishedAt !== null || i.action !== 'keep' || !/^kept: (running|paused|restarting)$/.test(i.reason));
  const rows = [['CONTAINER', 'IMAGE', 'ON DISK', 'PLAN']];
  for (const i of shown) rows.push([i.name, i.image, i.footprintBytes === null ? '-' : prettyBytes(i.footprintBytes), i.reason]);
  const lines = shown.length > 0 ? table(rows, ['l', 'l', 'r', 'l'], '') : ['No containers.'];
  for (const r of pass.results) lines.push(`${r.name}: ${r.message}`);
  const freed = pass.results.reduce((sum, r) => sum + (r.bytesFreed ?? 0), 0);
  if (pass.results.some((r) => r.outcome === 'done')) lines.push(`freed ${prettyBytes(freed)}`);
  return `${lines.join('\n')}\n`;
}

export async function pruneCommand(options: PruneOptions, io: Io): Promise<number> {
  const config = await loadConfig(options.config);
  const client = connectEngine(resolveHost(options.host, io.env));

  return withLockedStore(options, io, async ({ db }, now) => {
    const { snapshot } = await collectSnapshot(client, { now, skipUsage: true });
    if (snapshot.failures.some((f) => f.collector === 'containers')) {
      throw new UsageError(`Cannot plan a prune without the list of containers: ${snapshot.failures.find((f) => f.collector === 'containers')!.message}`);
    }
    const pass = await prunePass(client, snapshot, config, db, now, options.dryRun);
    journalPrune(db, pass, now, options.dryRun, false);

    if (options.json) {
      writeJson(io, { dryRun: options.dryRun, plan: pass.items, results: pass.results, findings: pass.findings });
    } else {
      io.stdout.write(renderPrune(pass, true) + (options.dryRun ? 'dry run: nothing changed\n' : ''));
    }
    return pass.results.some((r) => r.outcome === 'failed') ? 1 : pass.findings.some((f) => f.severity === 'critical') ? 2 : 0;
  });
}
