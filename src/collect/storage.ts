// Storage collector: thin pool and zfs figures from DriverStatus; for every other
// driver, statfs of the filesystem under DockerRootDir (and containerd's root when
// images live there and it is on another filesystem).

import { stat, statfs } from 'node:fs/promises';
import type { EngineFacts, Storage } from '../core/model.js';
import { filesystemInodes, filesystemSpace, filesystemStorage, storageSourceOf, thinPoolStorage, unknownStorage, zfsStorage } from '../core/storage.js';
import type { InfoResponse } from '../engine/shapes.js';

/** `layersRoot`: the folder of the engine's containerd snapshotter, as containerd says
 *  (collect/snapshots.ts); null when containerd cannot be asked from here. */
export async function collectStorage(engine: EngineFacts, info: InfoResponse, layersRoot: Promise<string> | null): Promise<Storage> {
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
    const unseen = "the engine keeps images and writable layers in containerd's store, whose space is not shown";
    const root = layersRoot ? await layersRoot.catch((error: Error) => error) : null;
    if (root === null) {
      storage.note = `${unseen}: containerd is asked only on the engine's host`;
    } else if (root instanceof Error) {
      storage.note = `${unseen}: ${root.message}`;
    } else {
      const [rootDev, storeDev] = await Promise.all([stat(engine.dockerRootDir).then((s) => s.dev), stat(root).then((s) => s.dev, (error: NodeJS.ErrnoException) => error)]);
      if (storeDev instanceof Error) {
        storage.note = `${unseen}: containerd keeps them in ${root}, which is not visible here (${storeDev.code}); run the watchdog where the engine's files are`;
      } else if (storeDev !== rootDev) {
        // On the same filesystem, DockerRootDir's figures above are containerd's too.
        const stats = await statfs(root);
        storage.imageStore = { path: root, data: filesystemSpace(stats), inodes: filesystemInodes(stats) };
      }
    }
  }
  return storage;
}
