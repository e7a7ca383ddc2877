// `watchdog rotate [CONTAINER...]`: plan the rotation of live json-file logs that have
// no max-size (all over logs.maxSize, or the ones named), print the plan with a reason
// per container, and unless --dry-run apply exactly it, journalling every action.

import prettyBytes from 'pretty-bytes';
import { pruneArchives, rotate, type RotationResult } from '../act/rotate.js';
import { collectSnapshot } from '../collect/index.js';
import { loadConfig } from '../config/config.js';
import { planRotations } from '../core/plan-rotate.js';
import { table } from '../core/render.js';
import { connectEngine } from '../engine/client.js';
import { resolveHost } from '../engine/host.js';
import { UsageError } from '../errors.js';
import { withLockedStore, type StateOptions } from '../state/index.js';
import { appendJournal } from '../state/journal.js';
import type { Io } from './io.js';

export interface RotateOptions extends StateOptions {
  host?: string;
  config?: string;
  containers: string[];
  dryRun: boolean;
  json: boolean;
}

export async function rotateCommand(options: RotateOptions, io: Io): Promise<number> {
  const config = await loadConfig(options.config);
  const client = connectEngine(resolveHost(options.host, io.env));

  return withLockedStore(options, io, async ({ db }, now) => {
    const { snapshot } = await collectSnapshot(client, { now, skipUsage: true });
    const engine = snapshot.engine;
    if (!engine?.local) {
      throw new UsageError(`Rotation needs the engine's files, and ${engine ? `${engine.dockerRootDir} is not readable from here` : 'the engine facts could not be read'}; run it as root on the engine's host.`);
    }
    const plan = planRotations(snapshot, config.logs.maxSizeBytes, options.containers.length > 0 ? options.containers : null);
    if (plan.unknown.length > 0) throw new UsageError(`No container is named ${plan.unknown.map((n) => `"${n}"`).join(', ')} (by name, id or id prefix); see docker ps -a.`);

    const results: RotationResult[] = [];
    const written = new Set<string>();
    const ctx = { client, dockerRootDir: engine.dockerRootDir, archiveDir: config.logs.archiveDir, now: io.now };
    for (const item of plan.items.filter((i) => i.action === 'rotate')) {
      const result: RotationResult = options.dryRun
        ? { containerId: item.containerId, name: item.name, outcome: 'skipped', message: 'dry run: nothing changed', archive: null, bytesArchived: 0, pauseMs: null }
        : await rotate(item, ctx);
      if (result.archive) written.add(result.archive);
      results.push(result);
      appendJournal(db, {
        at: io.now().toISOString(),
        action: 'rotate',
        target: item.name,
        containerId: item.containerId,
        reason: item.reason,
        outcome: options.dryRun ? 'dry-run' : result.outcome,
        bytesFreed: result.outcome === 'done' ? result.bytesArchived : null,
        details: result.outcome === 'done' ? `${result.archive}${result.pauseMs === null ? '' : `; paused ${Math.round(result.pauseMs)} ms`}` : result.message,
      });
    }
    const removed = options.dryRun ? [] : pruneArchives(config.logs.archiveDir, config.logs.keep, config.logs.archiveBudgetBytes, written);

    if (options.json) {
      io.stdout.write(`${JSON.stringify({ dryRun: options.dryRun, plan: plan.items, results, archivesRemoved: removed }, null, io.stdoutIsTerminal ? 2 : undefined)}\n`);
    } else {
      const rows = [['CONTAINER', 'LOG', 'PLAN']];
      for (const item of plan.items) if (options.containers.length > 0 || item.action === 'rotate') rows.push([item.name, item.bytes === null ? '-' : prettyBytes(item.bytes), item.reason]);
      const lines = rows.length > 1 ? table(rows, ['l', 'r', 'l'], '') : [`Nothing to rotate: no live json-file log without max-size is over logs.maxSize ${prettyBytes(config.logs.maxSizeBytes)}.`];
      for (const r of results) lines.push(`${r.name}: ${r.message}`);
      for (const path of removed) lines.push(`removed old archive ${path}`);
      io.stdout.write(`${lines.join('\n')}\n`);
    }
    return results.some((r) => r.outcome === 'failed') ? 1 : 0;
  });
}
