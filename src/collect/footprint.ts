// Footprint collector: what an exited container really occupies on disk. `docker system
// df` counts only its writable layer's bytes; the container also keeps a container
// directory (config, log), its rw and -init layer directories, layer metadata and
// their inodes. Measured as du(1) would, so an operator can check it by hand.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Footprint } from '../core/model.js';
import { measureTree } from './files.js';

/** Where a graph driver keeps a layer's directory, for drivers that keep one. */
function layerDir(dockerRootDir: string, driver: string, layerId: string): string | null {
  switch (driver) {
    case 'overlay2':
    case 'fuse-overlayfs':
      return join(dockerRootDir, driver, layerId);
    case 'vfs':
      return join(dockerRootDir, 'vfs', 'dir', layerId);
    case 'btrfs':
      return join(dockerRootDir, 'btrfs', 'subvolumes', layerId);
    default:
      // devicemapper and zfs keep layers in thin devices or datasets, not directories.
      return null;
  }
}

function readId(path: string): string | null {
  try {
    return readFileSync(path, 'utf8').trim() || null;
  } catch {
    return null;
  }
}

/** The paths that make up one container on disk. */
export function footprintPaths(dockerRootDir: string, driver: string, containerId: string): string[] {
  const mounts = join(dockerRootDir, 'image', driver, 'layerdb', 'mounts', containerId);
  const paths = [join(dockerRootDir, 'containers', containerId), mounts];
  const [mountId, initId] = [readId(join(mounts, 'mount-id')), readId(join(mounts, 'init-id'))];
  for (const layerId of [mountId, initId]) {
    const dir = layerId ? layerDir(dockerRootDir, driver, layerId) : null;
    if (!dir) continue;
    paths.push(dir);
    // overlay2 gives each layer a short symlink under l/ (one inode each).
    const link = driver === 'overlay2' ? readId(join(dir, 'link')) : null;
    if (link) paths.push(join(dockerRootDir, 'overlay2', 'l', link));
  }
  return paths;
}

/** On the containerd image store: the container folder and the snapshot folders
 *  containerd named (collect/snapshots.ts). */
export function snapshotFootprintPaths(dockerRootDir: string, containerId: string, snapshotDirs: string[]): string[] {
  return [join(dockerRootDir, 'containers', containerId), ...snapshotDirs];
}

/** The sum over `paths` (the container folder first), each inode counted once. Null
 *  when the container's folder is gone (removed mid-run). Synchronous, like
 *  measureTree, for speed. */
export function measureFootprint(paths: string[]): Footprint | null {
  const seen = new Set<string>();
  const parts = paths.map((path) => measureTree(path, seen));
  if (parts[0] === null) return null;
  return parts.reduce<Footprint>((sum, part) => ({ bytes: sum.bytes + (part?.bytes ?? 0), inodes: sum.inodes + (part?.inodes ?? 0) }), { bytes: 0, inodes: 0 });
}
