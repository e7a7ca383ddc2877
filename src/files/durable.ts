// Durable writes: what exists after a crash (or a power loss) is whole or absent. Write
// to a temporary name, fsync it, rename it into place, fsync the directory that holds
// the name. Forensic bundles and log archives go through here.

import { closeSync, constants, fchmodSync, fsyncSync, openSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { nodeCrypto } from '../builtins.js';

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
 *  collector skip), synced, then renamed over it. The temporary name is random and
 *  created exclusively, never through a link: the folder may be writable by the
 *  reader's user, and this may run as root. Made 0644 whatever the umask (the units
 *  set 0077), so the reader's user can read it. */
export function writeFileDurably(path: string, text: string): void {
  const temporary = join(dirname(path), `.${basename(path)}.${nodeCrypto().randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
  try {
    writeSync(fd, text);
    fchmodSync(fd, 0o644);
    fsyncSync(fd);
    closeSync(fd);
    renameDurably(temporary, path);
  } catch (error) {
    try {
      closeSync(fd);
    } catch {
      // closed already
    }
    rmSync(temporary, { force: true });
    throw error;
  }
}
