// Logs collector: bytes of each json-file log and its rotated siblings, and whether the
// live file was damaged by an outside truncation.

import { open, readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { ContainerFacts, LogFiles } from '../core/model.js';
import { isRotatedSibling } from '../core/logs.js';
import { isInside } from './files.js';

// The engine opens a log it rotates itself without O_APPEND; truncating it from outside
// leaves a hole that reads back as NUL bytes at the start of the file. A healthy
// json-file log never holds a raw NUL (JSON escapes it), so the first block tells.
const HEAD_BYTES = 4096;

async function startsWithNul(path: string): Promise<boolean> {
  const handle = await open(path, 'r').catch((error: NodeJS.ErrnoException) => {
    // Removed since it was measured (the container went away mid-run).
    if (error.code === 'ENOENT') return null;
    throw error;
  });
  if (!handle) return false;
  try {
    const buffer = Buffer.alloc(HEAD_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, HEAD_BYTES, 0);
    return buffer.subarray(0, bytesRead).includes(0);
  } finally {
    await handle.close();
  }
}

const sizeOrZero = (path: string): Promise<number> =>
  stat(path).then(
    (s) => s.size,
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return 0;
      throw error;
    },
  );

/** Null when the log path is not where this engine keeps the container's files. */
export async function measureLog(dockerRootDir: string, container: ContainerFacts): Promise<LogFiles | null> {
  const path = container.logPath;
  if (container.logConfig.driver !== 'json-file' || !path) return null;
  const dir = join(dockerRootDir, 'containers', container.id);
  if (!isInside(dir, path)) return null;
  const liveName = basename(path);
  const logDir = dirname(path);
  const names = await readdir(logDir).catch(() => [] as string[]);
  const siblings = names.filter((name) => isRotatedSibling(liveName, name));
  const [liveBytes, ...rotatedBytes] = await Promise.all([sizeOrZero(path), ...siblings.map((name) => sizeOrZero(join(logDir, name)))]);
  return {
    path,
    liveBytes: liveBytes!,
    bytes: liveBytes! + rotatedBytes.reduce((a, b) => a + b, 0),
    rotatedFiles: siblings.length,
    corrupt: liveBytes! > 0 && (await startsWithNul(path)),
  };
}
