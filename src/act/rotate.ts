// Lossless rotation of a live json-file log that has no max-size (issue #4).
//
// The engine writes such a log with O_APPEND, so truncating it is safe for the file;
// the danger is the lines written between the last copy and the truncation. So: copy
// the bulk while the container runs, pause it (cgroup freezer, through the API), wait
// for the engine to flush what the container had already written, copy the rest, make
// the archive durable (fsync, rename, fsync the directory), truncate, and unpause, with
// the unpause guaranteed on every path. An exited container needs no pause.

import { once } from 'node:events';
import { pipeline } from 'node:stream/promises';
import { closeSync, createWriteStream, fsyncSync, lstatSync, mkdirSync, openSync, readdirSync, readSync, realpathSync, rmSync, statSync, truncateSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createGzip } from 'node:zlib';
import type { RotationResult } from '../core/actions.js';
import { containerFileName, fileTime } from '../core/names.js';
import type { RotationItem } from '../core/plan-rotate.js';
import type { EngineClient } from '../engine/client.js';
import { renameDurably } from '../files/durable.js';
import { isInside } from '../files/paths.js';
import type { InFlight } from './in-flight.js';

export interface RotationContext {
  client: EngineClient;
  dockerRootDir: string;
  archiveDir: string;
  now: () => Date;
  /** Where the unpause is registered while the container is frozen (SIGTERM, SIGINT). */
  inFlight: InFlight;
}

const CHUNK = 1 << 20;
/** What may be left to copy while the container is frozen. */
const CATCH_UP_BYTES = 256 << 10;

/** Where a container's log archives go: one folder per container, by name and id. */
export function archiveFolder(archiveDir: string, name: string, id: string): string {
  return join(archiveDir, 'logs', containerFileName(name, id));
}

/** The log's real path, refused unless it is a regular file in the container's own
 *  directory under DockerRootDir: a LogPath pointing elsewhere is never truncated. */
export function checkedLogPath(dockerRootDir: string, containerId: string, logPath: string): string {
  const dir = realpathSync(join(dockerRootDir, 'containers', containerId));
  const real = realpathSync(logPath);
  if (!isInside(dir, real) || real === dir) throw new Error(`its LogPath ${logPath} is not inside ${dir}; refusing to touch it`);
  if (!lstatSync(real).isFile()) throw new Error(`its LogPath ${logPath} is not a regular file; refusing to touch it`);
  return real;
}

/** Feeds bytes [from, to) of `fd` into the gzip stream; returns the new offset. */
async function copyRange(fd: number, from: number, to: number, gzip: ReturnType<typeof createGzip>): Promise<number> {
  let offset = from;
  while (offset < to) {
    const buffer = Buffer.allocUnsafe(Math.min(CHUNK, to - offset));
    const read = readSync(fd, buffer, 0, buffer.length, offset);
    if (read === 0) break;
    offset += read;
    if (!gzip.write(buffer.subarray(0, read))) await once(gzip, 'drain');
  }
  return offset;
}

/** The engine copies what the container wrote to the log asynchronously: after the
 *  freeze, wait until the file stops growing so no line is still on its way. */
async function settledSize(path: string): Promise<number> {
  let size = statSync(path).size;
  for (let i = 0; i < 50; i++) {
    await sleep(10);
    const next = statSync(path).size;
    if (next === size) return size;
    size = next;
  }
  return size;
}

export async function rotate(item: RotationItem, ctx: RotationContext): Promise<RotationResult> {
  const result = { containerId: item.containerId, name: item.name, archive: null, bytesArchived: 0, pauseMs: null, leftPaused: false };
  // Re-check just before acting: the plan may be minutes old.
  const inspect = await ctx.client.inspectContainer(item.containerId);
  if (!inspect) return { ...result, outcome: 'skipped', message: 'skipped: the container is gone' };
  const logConfig = inspect.HostConfig?.LogConfig;
  if ((logConfig?.Type ?? 'json-file') !== 'json-file' || logConfig?.Config?.['max-size']) {
    return { ...result, outcome: 'skipped', message: 'skipped: its log is now one the engine rotates itself' };
  }
  if (!inspect.LogPath || inspect.LogPath !== item.logPath) return { ...result, outcome: 'skipped', message: 'skipped: its log file changed since the plan' };
  const state = inspect.State?.Status ?? 'unknown';
  if (state === 'restarting' || state === 'removing') return { ...result, outcome: 'skipped', message: `skipped: it is ${state}` };

  let logPath: string;
  try {
    logPath = checkedLogPath(ctx.dockerRootDir, item.containerId, inspect.LogPath);
  } catch (error) {
    return { ...result, outcome: 'skipped', message: `skipped: ${(error as Error).message}` };
  }
  // The plan may rest on a size the cache kept (an exited container's): an archive of
  // nothing would only take one of logs.keep's places.
  if (statSync(logPath).size === 0) return { ...result, outcome: 'skipped', message: 'skipped: its log is empty' };

  const folder = archiveFolder(ctx.archiveDir, item.name, item.containerId);
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  const archive = join(folder, `${fileTime(ctx.now())}.json.log.gz`);
  const partial = `${archive}.partial`;
  const logFd = openSync(logPath, 'r');
  const outFd = openSync(partial, 'wx', 0o600);
  const gzip = createGzip();
  // Through a pipeline, so that a write error (a full disk) reaches this function
  // instead of killing the process with the container frozen.
  const written = pipeline(gzip, createWriteStream('', { fd: outFd, autoClose: false }));
  written.catch(() => {}); // awaited below; an early failure must not count as unhandled

  // Set when the process is told to stop (SIGTERM, SIGINT) and has thawed the container:
  // the pause is what makes the truncation safe, so there is none after that.
  let stopped = false;

  // Everything from the last copy to the truncation, done while the writer is frozen.
  const finish = async (copiedSoFar: number): Promise<number> => {
    const end = await settledSize(logPath);
    if (end < copiedSoFar) throw new Error('the log shrank while it was being copied (another tool truncated it?); nothing was truncated');
    const copied = await copyRange(logFd, copiedSoFar, end, gzip);
    gzip.end();
    await written;
    fsyncSync(outFd);
    renameDurably(partial, archive);
    if (stopped) {
      rmSync(archive, { force: true });
      throw new Error('stopped by a signal before the truncation; nothing was truncated');
    }
    // A line that reached the file after the copy would be lost by the truncation:
    // then truncate nothing, drop this archive, and let the next run try again.
    if (statSync(logPath).size !== copied) {
      rmSync(archive, { force: true });
      throw new Error('the log grew while the container was paused; nothing was truncated, the next run tries again');
    }
    // Only now, with every line safely in the archive, is the log emptied.
    truncateSync(logPath, 0);
    return copied;
  };

  let leftPaused = false;
  try {
    // Catch up with a busy writer before freezing it, so that the frozen part is short:
    // copy until what is left is small, and get what is copied onto the disk.
    let bulk = 0;
    for (let round = 0; round < 10; round++) {
      bulk = await copyRange(logFd, bulk, statSync(logPath).size, gzip);
      if (statSync(logPath).size - bulk < CATCH_UP_BYTES) break;
    }
    await new Promise<void>((resolve) => gzip.flush(() => resolve()));
    fsyncSync(outFd);
    // A running container is frozen for the last copy; one already paused by someone
    // else is frozen already, and is left paused.
    if (state !== 'running') {
      const copied = await finish(bulk);
      return { ...result, outcome: 'done', message: `rotated into ${archive}`, archive, bytesArchived: copied };
    }
    const started = performance.now();
    // systemd's stop or a Ctrl-C while the container is frozen must not leave it so: the
    // undo waits for a pause still on its way (or it would thaw before the freeze), then
    // thaws, and this rotation truncates nothing. Registered before the pause: once the
    // process is stopping, registering fails and nothing is frozen.
    let pausing: Promise<void> | null = null;
    const release = ctx.inFlight.add(async () => {
      stopped = true;
      await pausing?.catch(() => {});
      await unpauseWithRetry(ctx.client, item.containerId);
    });
    let copied: number;
    try {
      // Inside the try: a pause request that timed out may still have frozen it.
      pausing = ctx.client.pauseContainer(item.containerId);
      await pausing;
      copied = await finish(bulk);
    } finally {
      try {
        await unpauseWithRetry(ctx.client, item.containerId);
      } catch (error) {
        leftPaused = true;
        throw error;
      } finally {
        release();
      }
    }
    const pauseMs = performance.now() - started;
    return { ...result, outcome: 'done', message: `rotated into ${archive}, paused ${Math.round(pauseMs)} ms`, archive, bytesArchived: copied, pauseMs };
  } catch (error) {
    gzip.destroy();
    rmSync(partial, { force: true });
    return { ...result, outcome: 'failed', message: `failed: ${(error as Error).message}`, leftPaused };
  } finally {
    closeSync(logFd);
    closeSync(outFd);
  }
}

/** A container must never be left frozen: retry, then say exactly what to do. */
async function unpauseWithRetry(client: EngineClient, id: string): Promise<void> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      await client.unpauseContainer(id);
      return;
    } catch (error) {
      // 409: it is not paused (the pause request failed, or it was unpaused already).
      if ((error as { statusCode?: number }).statusCode === 409) return;
      lastError = error;
      await sleep(200 * (attempt + 1));
    }
  }
  throw new Error(`could not unpause container ${id.slice(0, 12)} (${(lastError as Error).message}); it is still PAUSED: run docker unpause ${id.slice(0, 12)}`);
}

/**
 * Keeps at most `keep` archives per container and `budgetBytes` in all, oldest first;
 * `protect` (the archives just written) are never removed. Forensic bundles live in
 * another folder and are never touched.
 */
export function pruneArchives(archiveDir: string, keep: number, budgetBytes: number, protect: Set<string>): string[] {
  const root = join(archiveDir, 'logs');
  let folders: string[];
  try {
    folders = readdirSync(root).map((f) => join(root, f));
  } catch {
    return [];
  }
  const removed: string[] = [];
  const all: Array<{ path: string; size: number; name: string }> = [];
  for (const folder of folders) {
    const archives = readdirSync(folder)
      .filter((f) => f.endsWith('.json.log.gz'))
      .sort()
      .map((f) => ({ path: join(folder, f), name: f, size: statSync(join(folder, f)).size }));
    const excess = archives.length - keep;
    for (const a of archives.slice(0, Math.max(0, excess))) {
      if (protect.has(a.path)) continue;
      rmSync(a.path);
      removed.push(a.path);
    }
    all.push(...archives.filter((a) => !removed.includes(a.path)));
  }
  // Names are ISO times, so sorting by name sorts by age across containers.
  all.sort((a, b) => a.name.localeCompare(b.name));
  let total = all.reduce((sum, a) => sum + a.size, 0);
  for (const a of all) {
    if (total <= budgetBytes) break;
    if (protect.has(a.path)) continue;
    rmSync(a.path);
    removed.push(a.path);
    total -= a.size;
  }
  return removed.map((p) => `${basename(dirname(p))}/${basename(p)}`);
}
