// Durable writes: what exists after a crash (or a power loss) is whole or absent. Write
// to a temporary name, fsync it, rename it into place, fsync the directory that holds
// the name. Forensic bundles and log archives go through here.

import { closeSync, fsyncSync, openSync, readdirSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** fsync of a file or directory by path. */
export function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Renames `from` to `to` and makes the new name durable. `from` must be synced already. */
export function renameDurably(from: string, to: string): void {
  renameSync(from, to);
  fsyncPath(dirname(to));
}

/** fsync of every file and folder in a tree, then the tree itself: before a rename
 *  publishes it, so that it survives a crash right after. */
export function fsyncTree(root: string): void {
  for (const name of readdirSync(root, { recursive: true }) as string[]) fsyncPath(join(root, name));
  fsyncPath(root);
}
