// Lossless rotation of a live json-file log that has no max-size (issue #4).
//
// The engine writes such a log with O_APPEND, so truncating it is safe for the file;
// the danger is the lines written between the last copy and the truncation. So: copy
// the bulk while the container runs, pause it (cgroup freezer, through the API), wait
// for the engine to flush what the container had already written, copy the rest, make
// the archive durable (fsync, rename, fsync the directory), truncate, and unpause, with
// the unpause guaranteed on every path. An exited container needs no pause.

import { pipeline } from 'node:stream/promises';
import { closeSync, createWriteStream, fstatSync, fsyncSync, lstatSync, mkdirSync, openSync, readdirSync, readSync, realpathSync, rmSync, statfsSync, statSync, truncateSync, type WriteStream } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Gzip } from 'node:zlib';
import prettyBytes from 'pretty-bytes';
import { zlib } from '../builtins.js';
import type { RotationResult } from '../core/actions.js';
import { containerFileName, fileTime } from '../core/names.js';
import type { RotationItem } from '../core/plan-rotate.js';
import type { EngineClient } from '../engine/client.js';
import { renameDurably } from '../files/durable.js';
import { isInside } from '../files/paths.js';
import { thaw, type FreezeLedger } from './freezes.js';
import type { InFlight } from './in-flight.js';

export interface RotationContext {
  client: EngineClient;
  dockerRootDir: string;
  archiveDir: string;
  now: () => Date;
  /** Where the unpause is registered while the container is frozen (SIGTERM, SIGINT). */
  inFlight: InFlight;
  /** Where the intent to freeze is written before the pause (a SIGKILL). */
  ledger: FreezeLedger;
}

const CHUNK = 1 << 20;
/** gzip's fastest level: a log written at 25 MB/s (a tight loop through the engine, on the
 *  2-core test machine) is compressed at 58 MB/s at level 1 against 41 MB/s at the
 *  default 6, for archives 9 % larger (10.5 MB against 9.6 MB per 100 MB of log). A
 *  rotation has to outrun the writer it rotates (issue #11). */
const ARCHIVE_LEVEL = 1;
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

/** Feeds bytes [from, to) of `fd` into the gzip stream; returns the new offset. One
 *  buffer serves every read, reused once gzip has taken the last: a fresh megabyte per
 *  read left the daemon's heap 30 MB bigger after a minute of rotating a writer at full
 *  speed (bench:watch, issue #11). */
async function copyRange(fd: number, from: number, to: number, gzip: Gzip, written: Promise<void>): Promise<number> {
  const buffer = Buffer.allocUnsafe(Math.min(CHUNK, Math.max(0, to - from)));
  let offset = from;
  while (offset < to) {
    const read = readSync(fd, buffer, 0, Math.min(buffer.length, to - offset), offset);
    if (read === 0) break;
    offset += read;
    // zlib reads the chunk on its own thread: the buffer is only free again once it has.
    // A failed archive (a full disk) destroys gzip mid-write, whose callback then comes
    // with a lesser error or not at all: the archive stream's own error is the one.
    const taken = new Promise<void>((resolve, reject) => gzip.write(buffer.subarray(0, read), (error) => (error ? written.then(() => reject(error), reject) : resolve())));
    await Promise.race([taken, written.then(() => Promise.reject(new Error('the archive stream ended before the log was copied')))]);
  }
  return offset;
}

/** Rounds of settling and copying while the writer is frozen (finish() in copyAndTruncate). */
const DRAIN_ROUNDS = 5;

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

/** Bytes the archive of a `size`-byte log needs: its first megabyte gzipped tells how
 *  well it compresses (json-file logs: 5 to 20 times), with a tenth more and 1 MB
 *  spare. A log of random bytes needs its own size. */
function archiveBytesNeeded(fd: number, size: number): number {
  const sample = Buffer.allocUnsafe(Math.min(size, CHUNK));
  const read = readSync(fd, sample, 0, sample.length, 0);
  const ratio = read > 0 ? Math.min(1, zlib().gzipSync(sample.subarray(0, read), { level: ARCHIVE_LEVEL }).length / read) : 1;
  return Math.ceil(size * ratio * 1.1) + CHUNK;
}

/** Free bytes for an unprivileged writer in the filesystem holding `folder`. */
function freeBytes(folder: string): number {
  const fs = statfsSync(folder);
  return fs.bavail * fs.bsize;
}

/** An error of the file system as a sentence ("no space left on the device (ENOSPC)"). */
function fileErrorText(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  const known: Record<string, string> = {
    ENOSPC: 'no space is left on the archive\'s device',
    EDQUOT: 'the disk quota of the archive\'s device is used up',
    EROFS: 'the archive folder is on a read-only file system',
    EACCES: 'permission denied',
    EIO: 'an I/O error on the disk',
  };
  return e.code && known[e.code] ? `${known[e.code]} (${e.code}${e.path ? ` at ${e.path}` : ''})` : e.message;
}

const GONE_MIDWAY = 'the container was removed while its log was being rotated';

type Outcome = Pick<RotationResult, 'outcome' | 'code' | 'message'>;
const skipped = (code: RotationResult['code'], message: string): Outcome => ({ outcome: 'skipped', code, message: `skipped: ${message}` });

export async function rotate(item: RotationItem, ctx: RotationContext): Promise<RotationResult> {
  const result = { containerId: item.containerId, name: item.name, archive: null, bytesArchived: 0, pauseMs: null };
  // Re-check just before acting: the plan may be minutes old.
  const inspect = await ctx.client.inspectContainer(item.containerId);
  if (!inspect) return { ...result, ...skipped('gone', 'the container is gone') };
  const logConfig = inspect.HostConfig?.LogConfig;
  if ((logConfig?.Type ?? 'json-file') !== 'json-file' || logConfig?.Config?.['max-size']) {
    return { ...result, ...skipped('engine-rotates', 'its log is now one the engine rotates itself') };
  }
  if (!inspect.LogPath || inspect.LogPath !== item.logPath) return { ...result, ...skipped('log-changed', 'its log file changed since the plan') };
  const state = inspect.State?.Status ?? 'unknown';
  if (state === 'restarting' || state === 'removing') return { ...result, ...skipped('not-now', `it is ${state}`) };

  let logPath: string;
  try {
    logPath = checkedLogPath(ctx.dockerRootDir, item.containerId, inspect.LogPath);
  } catch (error) {
    return { ...result, ...skipped('log-refused', (error as Error).message) };
  }
  let logFd: number | null = null;
  let out: WriteStream | null = null;
  let partial: string | null = null;
  try {
    logFd = openSync(logPath, 'r');
    const size = fstatSync(logFd).size;
    // The plan may rest on a size the cache kept (an exited container's): an archive of
    // nothing would only take one of logs.keep's places.
    if (size === 0) return { ...result, ...skipped('empty', 'its log is empty') };
    const folder = archiveFolder(ctx.archiveDir, item.name, item.containerId);
    mkdirSync(folder, { recursive: true, mode: 0o700 });
    // A full disk is found out here, before anything is written or frozen, not midway.
    const needed = archiveBytesNeeded(logFd, size);
    const free = freeBytes(folder);
    if (free < needed) {
      return { ...result, ...skipped('no-space', `its archive needs about ${prettyBytes(needed)} and ${folder} has ${prettyBytes(free)} free; free space there or set logs.archiveDir to another disk`) };
    }
    const archive = join(folder, `${fileTime(ctx.now())}.json.log.gz`);
    partial = `${archive}.partial`;
    // The stream owns the descriptor from here: it closes it (after an fsync, `flush`)
    // when it finishes, and on an error. Closing it here too was the EBADF that crashed
    // runs on a full disk, and could have closed a descriptor opened since.
    const outFd = openSync(partial, 'wx', 0o600);
    out = createWriteStream('', { fd: outFd, flush: true });
    const done = await copyAndTruncate(item, ctx, state, logPath, logFd, { stream: out, fd: outFd }, partial, archive);
    partial = null;
    return { ...result, ...done, archive: done.outcome === 'done' ? archive : null };
  } catch (error) {
    // A container removed while its log was copied takes its folder with it.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && !(await ctx.client.inspectContainer(item.containerId).catch(() => inspect))) {
      return { ...result, ...skipped('gone', GONE_MIDWAY) };
    }
    if (error instanceof RotationError) {
      // A pause the engine could not make, or a container removed meanwhile, changed
      // nothing: the next run tries again (or has nothing to do).
      const outcome = error.code === 'pause-failed' || error.code === 'gone' ? 'skipped' : 'failed';
      return { ...result, outcome, code: error.code, message: `${outcome}: ${error.message}` };
    }
    return { ...result, outcome: 'failed', code: 'failed', message: `failed: ${fileErrorText(error)}; nothing was truncated` };
  } finally {
    out?.destroy();
    if (partial) rmSync(partial, { force: true });
    if (logFd !== null) closeSync(logFd);
  }
}

/** A failure that knows its code. */
class RotationError extends Error {
  constructor(
    readonly code: RotationResult['code'],
    message: string,
  ) {
    super(message);
  }
}

/** Copies the log into `partial` (the bulk live, the rest frozen), renames it to
 *  `archive` and truncates the log. */
async function copyAndTruncate(
  item: RotationItem,
  ctx: RotationContext,
  state: string,
  logPath: string,
  logFd: number,
  out: { stream: WriteStream; fd: number },
  partial: string,
  archive: string,
): Promise<RotationResult & { archive: string | null }> {
  const result = { containerId: item.containerId, name: item.name, archive, bytesArchived: 0, pauseMs: null };
  const gzip = zlib().createGzip({ level: ARCHIVE_LEVEL });
  // Through a pipeline, so that a write error (a full disk) reaches this function
  // instead of killing the process with the container frozen.
  const written = pipeline(gzip, out.stream);
  written.catch(() => {}); // awaited below; an early failure must not count as unhandled
  // What is copied so far onto the disk, so that the fsync while the container is frozen
  // is short. A stream that failed has closed its descriptor: its error, not an fsync.
  const syncSoFar = async (): Promise<void> => {
    if (out.stream.destroyed) await written;
    fsyncSync(out.fd);
  };

  // Set when the process is told to stop (SIGTERM, SIGINT) and has thawed the container:
  // the pause is what makes the truncation safe, so there is none after that.
  let stopped = false;

  // Everything from the last copy to the truncation, done while the writer is frozen.
  const finish = async (copiedSoFar: number): Promise<number> => {
    const end = await settledSize(logPath);
    if (end < copiedSoFar) throw new RotationError('failed', 'the log shrank while it was being copied (another tool truncated it?); nothing was truncated');
    let copied = await copyRange(logFd, copiedSoFar, end, gzip, written);
    // A busy engine can pause longer than settledSize's quiet moment while it drains
    // what the frozen writer left in its pipe (at most the pipe's buffer): copy what came
    // since, until the size holds. The likely cause of a CI run under load where one
    // rotation in 20 exited 1 (that run did not say why; rotate.test.ts now would).
    for (let round = 0; round < DRAIN_ROUNDS; round++) {
      const now = await settledSize(logPath);
      if (now === copied) break;
      copied = await copyRange(logFd, copied, now, gzip, written);
    }
    gzip.end();
    // Finished, fsynced (`flush`) and closed by the stream.
    await written;
    renameDurably(partial, archive);
    if (stopped) {
      rmSync(archive, { force: true });
      throw new RotationError('failed', 'stopped by a signal before the truncation; nothing was truncated');
    }
    // A line that reached the file after the copy would be lost by the truncation:
    // then truncate nothing, drop this archive, and let the next run try again.
    if (statSync(logPath).size !== copied) {
      rmSync(archive, { force: true });
      throw new RotationError('failed', 'the log grew while the container was paused; nothing was truncated, the next run tries again');
    }
    // Only now, with every line safely in the archive, is the log emptied.
    truncateSync(logPath, 0);
    return copied;
  };

  try {
    // Catch up with a busy writer before freezing it, so that the frozen part is short:
    // copy until what is left is small, and get what is copied onto the disk.
    let bulk = 0;
    for (let round = 0; round < 10; round++) {
      bulk = await copyRange(logFd, bulk, statSync(logPath).size, gzip, written);
      if (statSync(logPath).size - bulk < CATCH_UP_BYTES) break;
    }
    await new Promise<void>((resolve, reject) => {
      gzip.flush(() => resolve());
      written.catch(reject);
    });
    await syncSoFar();
    // A running container is frozen for the last copy; one already paused by someone
    // else is frozen already, and is left paused.
    if (state !== 'running') {
      const copied = await finish(bulk);
      return { ...result, outcome: 'done', code: 'rotated', message: `rotated into ${archive}`, bytesArchived: copied };
    }
    const started = performance.now();
    // The intent is written down before the pause: a run killed while the container is
    // frozen leaves it for the next run to thaw (act/freezes.ts). No record, no pause.
    try {
      ctx.ledger.intend(item.containerId, item.name, ctx.now());
    } catch (error) {
      throw new RotationError('failed', `the pause could not be recorded (${fileErrorText(error)}), so it was not paused; nothing was truncated`);
    }
    // systemd's stop or a Ctrl-C while the container is frozen must not leave it so: the
    // undo waits for a pause still on its way (or it would thaw before the freeze), then
    // thaws, and this rotation truncates nothing. Registered before the pause: once the
    // process is stopping, registering fails and nothing is frozen.
    let pausing: Promise<void> | null = null;
    let release: () => void = () => {};
    let copied: number;
    try {
      release = ctx.inFlight.add(async () => {
        stopped = true;
        await pausing?.catch(() => {});
        await thaw(ctx.client, item.containerId);
      });
      // Inside the try: a pause request that timed out may still have frozen it.
      pausing = ctx.client.pauseContainer(item.containerId);
      try {
        await pausing;
      } catch (error) {
        // Whether it is frozen is the engine's to say, not the error's: the finally
        // below thaws it if it is. Removed meanwhile, it cannot be paused either.
        if (!(await ctx.client.inspectContainer(item.containerId))) throw new RotationError('gone', GONE_MIDWAY);
        throw new RotationError('pause-failed', `the engine could not pause it (${(error as Error).message}); nothing was truncated, the next run tries again`);
      }
      copied = await finish(bulk);
    } finally {
      // Thawed (or found not frozen): only then is the intent dropped. Left frozen, the
      // record stays, and the next run thaws it and says so.
      await thaw(ctx.client, item.containerId).then(
        () => ctx.ledger.forget(item.containerId),
        (error: Error) => {
          throw new RotationError('left-paused', error.message);
        },
      ).finally(release);
    }
    const pauseMs = performance.now() - started;
    return { ...result, outcome: 'done', code: 'rotated', message: `rotated into ${archive}, paused ${Math.round(pauseMs)} ms`, bytesArchived: copied, pauseMs };
  } catch (error) {
    gzip.destroy();
    throw error;
  }
}

/** A `.partial` archive this old was left by a run that was killed mid-copy (a live
 *  copy writes to its partial every few milliseconds). */
const ABANDONED_PARTIAL_MS = 10 * 60_000;

/**
 * Keeps at most `keep` archives per container and `budgetBytes` in all, oldest first;
 * `protect` (the archives just written) are never removed. Partial archives that killed
 * runs left behind are removed. Forensic bundles live in another folder and are never
 * touched.
 */
export function pruneArchives(archiveDir: string, keep: number, budgetBytes: number, protect: Set<string>, now: Date): string[] {
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
    const names = readdirSync(folder);
    for (const name of names.filter((f) => f.endsWith('.json.log.gz.partial'))) {
      const path = join(folder, name);
      // Gone meanwhile (renamed into its archive by a run of another store): not ours.
      const modified = statSync(path, { throwIfNoEntry: false })?.mtimeMs;
      if (modified === undefined || now.getTime() - modified < ABANDONED_PARTIAL_MS) continue;
      rmSync(path, { force: true });
      removed.push(path);
    }
    const archives = names
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
