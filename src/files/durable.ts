// Durable writes: what exists after a crash (or a power loss) is whole or absent. Write
// to a temporary name, fsync it, rename it into place, fsync the directory that holds
// the name. Forensic bundles and log archives go through here.

import { chmodSync, closeSync, fsyncSync, openSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

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

/** Writes `text` to `path` whole or not at all: a temporary file beside it (a hidden
 *  name without the final extension, which readers such as node_exporter's textfile
 *  collector skip), synced, then renamed over it. */
export function writeFileDurably(path: string, text: string): void {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    writeFileSync(temporary, text);
    // Readable by its reader's user (node_exporter's), whatever the umask (the units
    // set 0077).
    chmodSync(temporary, 0o644);
    fsyncPath(temporary);
    renameDurably(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}
