// Storage collector: thin pool and zfs figures from DriverStatus; for every other
// driver, statfs of the filesystem under DockerRootDir (and containerd's root when
// images live there and it is on another filesystem).

import { stat, statfs } from 'node:fs/promises';
import type { EngineFacts, Storage } from '../core/model.js';
import { filesystemInodes, filesystemSpace, filesystemStorage, storageSourceOf, thinPoolStorage, unknownStorage, zfsStorage } from '../core/storage.js';
import type { InfoResponse } from '../engine/shapes.js';

/** `containerdRoot`: where the engine's containerd keeps images and snapshots, as
 *  containerd says (collect/snapshots.ts); null when it cannot be asked from here. */
export async function collectStorage(engine: EngineFacts, info: InfoResponse, containerdRoot: Promise<string | null> | null): Promise<Storage> {
  const source = storageSourceOf(engine.storageDriver);
  if (source === 'thin-pool') return thinPoolStorage(info.DriverStatus ?? []);
  if (source === 'zfs') return zfsStorage(info.DriverStatus ?? []);
  // statfs needs no read access to the directory: a docker-group user on the engine's
  // host still sees the space and inodes, which are what matter most.
  if (!engine.local && !engine.sameHost) {
    return unknownStorage('filesystem', `space and inodes of ${engine.dockerRootDir} are unavailable: the engine is remote; run the watchdog on its host to see them`);
  }
  const storage = filesystemStorage(engine.dockerRootDir, await statfs(engine.dockerRootDir));
  if (engine.containerdImageStore) {
    const root = containerdRoot ? await containerdRoot.catch((error: Error) => error) : null;
    if (root === null || root instanceof Error) {
      storage.note = `the engine keeps images and writable layers in containerd's store, whose space is not shown: ${root ? root.message : 'containerd can be asked only on the engine\'s host, as root'}`;
    } else {
      const [rootDev, storeDev] = await Promise.all([stat(engine.dockerRootDir).then((s) => s.dev), stat(root).then((s) => s.dev)]);
      // On the same filesystem, DockerRootDir's figures above are containerd's too.
      if (storeDev !== rootDev) {
        const stats = await statfs(root);
        storage.imageStore = { path: root, data: filesystemSpace(stats), inodes: filesystemInodes(stats) };
      }
    }
  }
  return storage;
}
