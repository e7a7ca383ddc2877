// Rotation of live json-file logs: plan (core/plan-rotate.ts), act (act/rotate.ts, each
// item re-checked just before), journal every rotation, keep the archives within
// logs.keep and logs.archiveBudget. `watchdog rotate`, `watchdog check` and the daemon
// run these same steps, for every container or for the ones they name.

import { realpathSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { pruneArchives, rotate } from '../act/rotate.js';
import { archiveDirConflict } from '../core/archive-dir.js';
import type { ContainerFacts, Snapshot } from '../core/model.js';
import { planRotations, type RotationItem } from '../core/plan-rotate.js';
import type { Rotation, RotationResult } from '../core/actions.js';
import { ConfigError, UsageError } from '../errors.js';
import { forgetExited } from '../state/cache.js';
import { journal, storeWrite } from './store-writes.js';
import type { Run } from './run.js';
import { ledgerOf } from './thaw.js';

/** Rotation works on the engine's files: it needs a local engine. */
export function requireLocal(snapshot: Snapshot, what: string): void {
  const engine = snapshot.engine;
  if (!engine?.local) {
    throw new UsageError(`${what} needs the engine's files, and ${engine ? `${engine.dockerRootDir} is not readable from here` : 'the engine facts could not be read'}; run it as root on the engine's host.`);
  }
}

/** The path as the filesystem resolves it (symbolic links followed), as far as it
 *  exists: an archive directory that is a link into DockerRootDir is inside it. */
function resolved(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path === '/' ? path : join(resolved(dirname(path)), basename(path));
  }
}

/** Archives and forensic bundles must not land inside the engine's own directory: the
 *  schema refuses the usual roots, this the engine's actual DockerRootDir. */
export function requireUsableArchiveDir(run: Run, snapshot: Pick<Snapshot, 'engine'>): void {
  const root = snapshot.engine?.dockerRootDir;
  if (root) checkArchiveDir(run.config.logs.archiveDir, root);
}

/** Throws the ConfigError (exit 78) that names logs.archiveDir when it lies inside
 *  `dockerRootDir`; `watchdog config check` asks it too when it can reach the engine. */
export function checkArchiveDir(archiveDir: string, dockerRootDir: string): void {
  const rootName = "this engine's DockerRootDir";
  const conflict = archiveDirConflict(archiveDir, dockerRootDir, rootName) ?? archiveDirConflict(resolved(archiveDir), resolved(dockerRootDir), rootName);
  if (conflict) throw new ConfigError(`logs.archiveDir ${JSON.stringify(archiveDir)} ${conflict}.`);
}

/** The containers named (rotated whatever their size), or, with none, every live log
 *  over logs.maxSize; `runningOnly` for the timer (a stopped container's log does not
 *  grow, and a suspicious one must reach its forensic bundle whole). */
export function planRotation(run: Run, snapshot: Snapshot, named: ContainerFacts[] | null, runningOnly: boolean): RotationItem[] {
  return planRotations(snapshot.containers, run.config.logs.maxSize, named ? { named } : { overLimit: true, runningOnly });
}

export async function rotateLogs(run: Run, snapshot: Pick<Snapshot, 'engine'>, plan: RotationItem[], dryRun: boolean): Promise<Rotation> {
  requireUsableArchiveDir(run, snapshot);
  const { config } = run;
  const results: RotationResult[] = [];
  const written = new Set<string>();
  const engine = snapshot.engine!;
  const ctx = { client: run.client, dockerRootDir: engine.dockerRootDir, archiveDir: config.logs.archiveDir, now: run.io.now, inFlight: run.io.inFlight, ledger: ledgerOf(run.io, engine) };
  for (const item of plan.filter((i) => i.action === 'rotate')) {
    const result: RotationResult = dryRun
      ? { containerId: item.containerId, name: item.name, outcome: 'skipped', code: 'dry-run', message: 'dry run: nothing changed', archive: null, bytesArchived: 0, pauseMs: null }
      : await rotate(item, ctx);
    if (result.archive) written.add(result.archive);
    // Its footprint, as the cache keeps it, counted the log that is now archived. An
    // entry that cannot be dropped (a full disk) keeps counting it until the container
    // changes state: a smaller evil than a run that crashes before it alerts.
    if (result.outcome === 'done') storeWrite(run, 'the exited-container cache', () => forgetExited(run.db, item.containerId));
    results.push(result);
    journal(run, {
      at: run.io.now().toISOString(),
      action: 'rotate',
      target: item.name,
      containerId: item.containerId,
      reason: item.reason,
      outcome: dryRun ? 'dry-run' : result.outcome,
      bytesFreed: result.outcome === 'done' ? result.bytesArchived : null,
      details: result.outcome === 'done' ? `${result.archive}${result.pauseMs === null ? '' : `; paused ${Math.round(result.pauseMs)} ms`}` : result.message,
    });
  }
  const archivesRemoved = dryRun ? [] : pruneArchives(config.logs.archiveDir, config.logs.keep, config.logs.archiveBudget, written, run.io.now());
  return { plan, results, archivesRemoved };
}
