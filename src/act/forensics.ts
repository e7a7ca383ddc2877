// The forensic bundle of a suspicious container, written before anything else happens
// to it (issue #4): its inspect JSON, its changes, a tar of the changed files taken
// from the container through the engine, and its log. Written into a .partial folder,
// fsynced, then renamed, so a bundle that exists is complete. The archive budget never
// deletes bundles.

import { once } from 'node:events';
import { copyFileSync, createWriteStream, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { basename, dirname, join } from 'node:path';
import type { Change } from '../core/drift.js';
import type { ContainerFacts } from '../core/model.js';
import { containerFileName, fileTime } from '../core/names.js';
import type { EngineClient } from '../engine/client.js';
import type { ContainerInspect } from '../engine/shapes.js';
import { fsyncTree, renameDurably } from '../files/durable.js';

/** `runningAt`: the time of a running container's drift check (RUNNING_DRIFT, issue
 *  #13). Its finishedAt is null or the end of an earlier run, the same for every check:
 *  each new drift of a running container gets a folder of its own. */
export function bundleFolder(archiveDir: string, c: ContainerFacts, runningAt?: Date): string {
  const when = runningAt ? `running-${fileTime(runningAt)}` : c.finishedAt ? fileTime(c.finishedAt) : 'never-ran';
  return join(archiveDir, 'forensics', `${containerFileName(c.name, c.id)}-${when}`);
}

/** Paths to take into the tar: every added or modified path, but not one whose parent
 *  is taken already (the engine's archive of a directory holds its contents), nor a
 *  directory listed only because something beneath it changed. */
export function pathsToArchive(changes: Change[]): string[] {
  const kept = changes.filter((c) => c.kind !== 'deleted');
  const added = kept.filter((c) => c.kind === 'added').map((c) => c.path);
  const underAdded = (p: string) => added.some((a) => p.startsWith(`${a}/`));
  const onlyAnAncestor = (c: Change) => c.kind === 'modified' && kept.some((q) => q.path.startsWith(`${c.path}/`));
  return kept.filter((c) => !underAdded(c.path) && !onlyAnAncestor(c)).map((c) => c.path);
}

/** Streams each path's tar from the engine into one tar file. */
async function writeChangedFiles(client: EngineClient, id: string, paths: string[], file: string): Promise<string[]> {
  // Loaded only when a bundle is written: every report and check imports this module,
  // and tar-stream with its streams is 60 kB that a run without tampering never uses.
  const { default: tar } = await import('tar-stream');
  const pack = tar.pack();
  const out = createWriteStream(file);
  pack.pipe(out);
  const missing: string[] = [];
  for (const path of paths) {
    let archive: NodeJS.ReadableStream;
    try {
      archive = await client.containerArchive(id, path);
    } catch {
      missing.push(path);
      continue;
    }
    const extract = tar.extract();
    extract.on('entry', (header, stream, next) => {
      // The engine names entries relative to the path's parent: put them back under it.
      const entry = pack.entry({ ...header, name: join(dirname(path), header.name).replace(/^\//, '') }, next);
      stream.pipe(entry);
    });
    // A stream the engine cuts off mid-way rejects here instead of hanging the run.
    await pipeline(archive, extract);
  }
  pack.finalize();
  await once(out, 'close');
  return missing;
}

/**
 * Writes the bundle unless a complete one for this container and finish time exists.
 * Returns its folder. Throws if it cannot be written: the caller then holds the
 * container, since nothing may happen to it before its evidence is on disk.
 */
export async function writeForensicBundle(
  client: EngineClient,
  container: ContainerFacts,
  inspect: ContainerInspect,
  changes: Change[],
  archiveDir: string,
  runningAt?: Date,
): Promise<{ folder: string; created: boolean }> {
  const folder = bundleFolder(archiveDir, container, runningAt);
  if (existsSync(join(folder, 'inspect.json'))) return { folder, created: false };
  const partial = `${folder}.partial`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true, mode: 0o700 });
  try {
    await fillBundle(client, container, inspect, changes, partial);
  } catch (error) {
    // Never leave half a bundle taking the space it was meant to save.
    rmSync(partial, { recursive: true, force: true });
    throw error;
  }
  renameDurably(partial, folder);
  return { folder, created: true };
}

async function fillBundle(client: EngineClient, container: ContainerFacts, inspect: ContainerInspect, changes: Change[], partial: string): Promise<void> {
  writeFileSync(join(partial, 'inspect.json'), `${JSON.stringify(inspect, null, 2)}\n`);
  writeFileSync(join(partial, 'changes.json'), `${JSON.stringify(changes, null, 2)}\n`);
  const missing = await writeChangedFiles(client, container.id, pathsToArchive(changes), join(partial, 'changed-files.tar'));
  // Evidence with holes is not a bundle: the caller holds the container and a later
  // run tries again.
  if (missing.length > 0) throw new Error(`the engine would not hand over ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ` and ${missing.length - 3} more` : ''}`);
  if (container.logPath && existsSync(container.logPath)) {
    mkdirSync(join(partial, 'log'));
    const logDir = dirname(container.logPath);
    const live = basename(container.logPath);
    for (const name of readdirSync(logDir).filter((n) => n === live || n.startsWith(`${live}.`))) copyFileSync(join(logDir, name), join(partial, 'log', name));
  }
  // Files and folders alike, so the bundle survives a crash right after the rename.
  fsyncTree(partial);
}
