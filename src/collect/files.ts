// Disk usage of files and trees as du(1) counts it: allocated blocks, each inode once,
// symlinks not followed, not crossing into other filesystems.
//
// Synchronous on purpose: a footprint is thousands of tiny lstat calls, and a round trip
// through libuv's thread pool for each made the walk several times slower (500 exited
// containers, ~21,000 entries; figures in the note on issue #2).

import { lstatSync, readdirSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import type { Footprint } from '../core/model.js';

/** Bytes and inodes of a file or tree; null if it does not exist. `seen` carries the
 *  inodes already counted across calls, so a hard link is counted once, as du does. */
export function measureTree(root: string, seen = new Set<string>()): Footprint | null {
  const top = lstatOrNull(root);
  if (!top) return null;
  const total: Footprint = { bytes: 0, inodes: 0 };
  const pending: Array<[string, Stats]> = [[root, top]];
  while (pending.length > 0) {
    const [path, stats] = pending.pop()!;
    const key = `${stats.dev}:${stats.ino}`;
    if (seen.has(key)) continue;
    seen.add(key);
    total.bytes += stats.blocks * 512;
    total.inodes += 1;
    if (!stats.isDirectory() || stats.dev !== top.dev) continue;
    for (const name of readdirOrEmpty(path)) {
      const child = join(path, name);
      const childStats = lstatOrNull(child);
      if (childStats) pending.push([child, childStats]);
    }
  }
  return total;
}

// Gone between readdir and lstat (a container removed mid-run): not an error.
function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

function readdirOrEmpty(path: string): string[] {
  try {
    return readdirSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}
