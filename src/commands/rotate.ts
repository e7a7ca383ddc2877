// `watchdog rotate [CONTAINER...]`: plan the rotation of live json-file logs that have
// no max-size (all over logs.maxSize, or the ones named), print the plan with a reason
// per container, and unless --dry-run apply exactly it, journalling every action.

import prettyBytes from 'pretty-bytes';
import { pruneArchives, rotate, type RotationResult } from '../act/rotate.js';
import { collectSnapshot } from '../collect/index.js';
import { loadConfig, type Config } from '../config/config.js';
import type { Snapshot } from '../core/model.js';
import { planRotations, type RotationPlan } from '../core/plan-rotate.js';
import { table } from '../core/render.js';
import { connectEngine, type EngineClient } from '../engine/client.js';
import { resolveHost } from '../engine/host.js';
import { UsageError } from '../errors.js';
import { withLockedStore, type StateOptions } from '../state/index.js';
import { forgetExited } from '../state/cache.js';
import { appendJournal } from '../state/journal.js';
import type { Db } from '../state/store.js';
import { writeJson, type Io } from './io.js';

export interface RotateOptions extends StateOptions {
  host?: string;
  config?: string;
  containers: string[];
  dryRun: boolean;
  json: boolean;
}

export interface RotatePass {
  plan: RotationPlan;
  results: RotationResult[];
  archivesRemoved: string[];
}

/** Plans and (unless dryRun) applies rotation, journalling each rotation. Shared by
 *  `watchdog rotate` and `watchdog check`. `requested`: names, or null for the policy. */
export async function rotatePass(client: EngineClient, snapshot: Snapshot, config: Config, db: Db, now: () => Date, dryRun: boolean, requested: string[] | null, runningOnly = false): Promise<RotatePass> {
  const plan = planRotations(snapshot, config.logs.maxSizeBytes, requested, runningOnly);
  if (plan.unknown.length > 0) throw noSuchContainers(plan.unknown);
  const results: RotationResult[] = [];
  const written = new Set<string>();
  const ctx = { client, dockerRootDir: snapshot.engine!.dockerRootDir, archiveDir: config.logs.archiveDir, now };
  for (const item of plan.items.filter((i) => i.action === 'rotate')) {
    const result: RotationResult = dryRun
      ? { containerId: item.containerId, name: item.name, outcome: 'skipped', message: 'dry run: nothing changed', archive: null, bytesArchived: 0, pauseMs: null }
      : await rotate(item, ctx);
    if (result.archive) written.add(result.archive);
    if (result.outcome === 'done') forgetExited(db, item.containerId);
    results.push(result);
    appendJournal(db, {
      at: now().toISOString(),
      action: 'rotate',
      target: item.name,
      containerId: item.containerId,
      reason: item.reason,
      outcome: dryRun ? 'dry-run' : result.outcome,
      bytesFreed: result.outcome === 'done' ? result.bytesArchived : null,
      details: result.outcome === 'done' ? `${result.archive}${result.pauseMs === null ? '' : `; paused ${Math.round(result.pauseMs)} ms`}` : result.message,
    });
  }
  const archivesRemoved = dryRun ? [] : pruneArchives(config.logs.archiveDir, config.logs.keep, config.logs.archiveBudgetBytes, written);
  return { plan, results, archivesRemoved };
}

export function renderRotate(pass: RotatePass, showKept: boolean, maxSizeBytes: number): string {
  const rows = [['CONTAINER', 'LOG', 'PLAN']];
  for (const item of pass.plan.items) if (showKept || item.action === 'rotate') rows.push([item.name, item.bytes === null ? '-' : prettyBytes(item.bytes), item.reason]);
  const lines = rows.length > 1 ? table(rows, ['l', 'r', 'l'], '') : [`Nothing to rotate: no live json-file log without max-size is over logs.maxSize ${prettyBytes(maxSizeBytes)}.`];
  for (const r of pass.results) lines.push(`${r.name}: ${r.message}`);
  for (const path of pass.archivesRemoved) lines.push(`removed old archive ${path}`);
  return `${lines.join('\n')}\n`;
}

/** The one-sentence error for names on the command line that match no container. */
export function noSuchContainers(names: string[]): UsageError {
  return new UsageError(`No container is named ${names.map((n) => `"${n}"`).join(', ')} (by name, id or id prefix); see docker ps -a.`);
}

/** Rotation and pruning work on the engine's files: they need a local engine. */
export function requireLocal(snapshot: Snapshot, what: string): void {
  const engine = snapshot.engine;
  if (!engine?.local) {
    throw new UsageError(`${what} needs the engine's files, and ${engine ? `${engine.dockerRootDir} is not readable from here` : 'the engine facts could not be read'}; run it as root on the engine's host.`);
  }
}

export async function rotateCommand(options: RotateOptions, io: Io): Promise<number> {
  const config = await loadConfig(options.config);
  const client = connectEngine(resolveHost(options.host, io.env));

  return withLockedStore(options, io, async ({ db }, now) => {
    const { snapshot } = await collectSnapshot(client, { now, skipUsage: true });
    requireLocal(snapshot, 'Rotation');
    const pass = await rotatePass(client, snapshot, config, db, io.now, options.dryRun, options.containers.length > 0 ? options.containers : null);

    if (options.json) {
      writeJson(io, { dryRun: options.dryRun, plan: pass.plan.items, results: pass.results, archivesRemoved: pass.archivesRemoved });
    } else {
      io.stdout.write(renderRotate(pass, options.containers.length > 0, config.logs.maxSizeBytes));
    }
    return pass.results.some((r) => r.outcome === 'failed') ? 1 : 0;
  });
}
