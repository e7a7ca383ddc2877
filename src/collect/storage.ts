// Storage collector: thin pool and zfs figures from DriverStatus; for every other
// driver, statfs of the filesystem under DockerRootDir (and containerd's root when
// images live there).

import { stat, statfs } from 'node:fs/promises';
import type { EngineFacts, Storage } from '../core/model.js';
import { filesystemInodes, filesystemSpace, filesystemStorage, storageSourceOf, thinPoolStorage, unknownStorage, zfsStorage } from '../core/storage.js';
import type { InfoResponse } from '../engine/shapes.js';

/** containerd's default root; engines 29+ with the containerd image store keep images here. */
export const CONTAINERD_ROOT = '/var/lib/containerd';

export async function collectStorage(engine: EngineFacts, info: InfoResponse, containerdRoot = CONTAINERD_ROOT): Promise<Storage> {
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
    const [rootDev, storeDev] = await Promise.all([stat(engine.dockerRootDir).then((s) => s.dev), stat(containerdRoot).then((s) => s.dev, () => null)]);
    if (storeDev === null) {
      storage.note = `the engine keeps images in containerd's store, but ${containerdRoot} is not readable here`;
    } else if (storeDev !== rootDev) {
      const stats = await statfs(containerdRoot);
      storage.imageStore = { path: containerdRoot, data: filesystemSpace(stats), inodes: filesystemInodes(stats) };
    }
  }
  return storage;
}
