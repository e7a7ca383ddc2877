// Logs collector: bytes of each json-file log and its rotated siblings, and whether the
// live file was damaged by an outside truncation. Synchronous, like the footprint walk:
// a few tiny calls per container, for every container on every run, are faster done
// directly than through libuv's thread pool (issue #3).

import { closeSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { ContainerFacts, LogFiles } from '../core/model.js';
import { isRotatedSibling } from '../core/logs.js';
import { isInside } from '../files/paths.js';

// The engine opens a log it rotates itself without O_APPEND; truncating it from outside
// leaves a hole that reads back as NUL bytes at the start of the file. A healthy
// json-file log never holds a raw NUL (JSON escapes it), so the first block tells.
const HEAD_BYTES = 4096;

const gone = (error: unknown): boolean => (error as NodeJS.ErrnoException).code === 'ENOENT';

function startsWithNul(path: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    // Removed since it was measured (the container went away mid-run).
    if (gone(error)) return false;
    throw error;
  }
  try {
    const buffer = Buffer.alloc(HEAD_BYTES);
    const bytesRead = readSync(fd, buffer, 0, HEAD_BYTES, 0);
    return buffer.subarray(0, bytesRead).includes(0);
  } finally {
    closeSync(fd);
  }
}

function sizeOrZero(path: string): number {
  try {
    return statSync(path).size;
  } catch (error) {
    if (gone(error)) return 0;
    throw error;
  }
}

/** Null when the log path is not where this engine keeps the container's files. */
export function measureLog(dockerRootDir: string, container: ContainerFacts): LogFiles | null {
  const path = container.logPath;
  if (container.logConfig.driver !== 'json-file' || !path) return null;
  if (!isInside(join(dockerRootDir, 'containers', container.id), path)) return null;
  const liveName = basename(path);
  const logDir = dirname(path);
  let names: string[];
  try {
    names = readdirSync(logDir);
  } catch (error) {
    if (gone(error)) return null;
    throw error;
  }
  const rotated = names.filter((name) => isRotatedSibling(liveName, name));
  const liveBytes = sizeOrZero(path);
  return {
    path,
    liveBytes,
    bytes: liveBytes + rotated.reduce((sum, name) => sum + sizeOrZero(join(logDir, name)), 0),
    rotatedFiles: rotated.length,
    corrupt: liveBytes > 0 && startsWithNul(path),
  };
}
