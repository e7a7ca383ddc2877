// Where the engine's bytes live and how full that is, from `GET /info` DriverStatus
// and, for filesystem-backed drivers, statfs of DockerRootDir. Pure: the shell passes
// the engine's answer and the statfs figures in.

import type { Inodes, Space, Storage, ThinPool } from './model.js';
import { fraction, parseEngineSize } from './units.js';

export type DriverStatus = ReadonlyArray<readonly [string, string]>;

/** The subset of statfs(2) we need, as node:fs statfs returns it. */
export interface FsStats {
  bsize: number;
  blocks: number;
  bfree: number;
  bavail: number;
  files: number;
  ffree: number;
}

/** DriverStatus is a list of pairs whose order changed between releases: read by key.
 *  Old engines send keys with empty values that newer ones drop; treat both alike. */
function byKey(status: DriverStatus): Map<string, string> {
  const map = new Map<string, string>();
  for (const [key, value] of status) {
    if (value.trim() !== '') map.set(key, value.trim());
  }
  return map;
}

function size(map: Map<string, string>, key: string): number | null {
  const value = map.get(key);
  return value === undefined ? null : parseEngineSize(value);
}

function space(map: Map<string, string>, prefix: string): Space | null {
  const usedBytes = size(map, `${prefix} Space Used`);
  const totalBytes = size(map, `${prefix} Space Total`);
  if (usedBytes === null || totalBytes === null) return null;
  // "Available" is missing on very old engines; it can also be far below Total - Used
  // on loop-lvm, where the loop file's own filesystem caps it: trust it when present.
  const availableBytes = size(map, `${prefix} Space Available`) ?? Math.max(0, totalBytes - usedBytes);
  return { usedBytes, totalBytes, availableBytes };
}

/** devicemapper: thin-pool data and metadata space, minimum free space, loopback. */
export function thinPoolStorage(status: DriverStatus): Storage {
  const map = byKey(status);
  const dataLoopFile = map.get('Data loop file') ?? null;
  const metadataLoopFile = map.get('Metadata loop file') ?? null;
  const thinPool: ThinPool = {
    name: map.get('Pool Name') ?? '',
    minimumFreeBytes: size(map, 'Thin Pool Minimum Free Space'),
    // Only the "loop file" keys mean loop-lvm. "Data file" names the block device and
    // old engines send it with an empty value on direct-lvm.
    loopback: dataLoopFile !== null || metadataLoopFile !== null,
    dataLoopFile,
    metadataLoopFile,
  };
  return {
    source: 'thin-pool',
    path: null,
    data: space(map, 'Data'),
    metadata: space(map, 'Metadata'),
    inodes: null,
    thinPool,
    imageStore: null,
    note: null,
  };
}

/** zfs reports raw byte counts for the parent dataset. */
export function zfsStorage(status: DriverStatus): Storage {
  const map = byKey(status);
  const usedBytes = size(map, 'Space Used By Parent');
  const availableBytes = size(map, 'Space Available');
  const data =
    usedBytes === null || availableBytes === null
      ? null
      : { usedBytes, availableBytes, totalBytes: usedBytes + availableBytes };
  return {
    source: 'zfs',
    path: null,
    data,
    metadata: null,
    inodes: null,
    thinPool: null,
    imageStore: null,
    note: data ? null : 'the engine did not report zfs space figures',
  };
}

/** Bytes of a filesystem as df(1) shows them: "available" is what an unprivileged
 *  writer can still use, so used + available is less than total by the root reserve. */
export function filesystemSpace(stats: FsStats): Space {
  return {
    totalBytes: stats.blocks * stats.bsize,
    usedBytes: (stats.blocks - stats.bfree) * stats.bsize,
    availableBytes: stats.bavail * stats.bsize,
  };
}

export function filesystemInodes(stats: FsStats): Inodes | null {
  // Some filesystems (btrfs, some network filesystems) report no inode limit at all.
  if (stats.files <= 0) return null;
  return { used: stats.files - stats.ffree, total: stats.files };
}

export function filesystemStorage(path: string, stats: FsStats): Storage {
  return {
    source: 'filesystem',
    path,
    data: filesystemSpace(stats),
    metadata: null,
    inodes: filesystemInodes(stats),
    thinPool: null,
    imageStore: null,
    note: null,
  };
}

/** Storage for a driver whose space we cannot see: remote engine, unknown driver. */
export function unknownStorage(source: Storage['source'], note: string): Storage {
  return { source, path: null, data: null, metadata: null, inodes: null, thinPool: null, imageStore: null, note };
}

/** Which kind of storage a driver has, from its name and DriverStatus. */
export function storageSourceOf(driver: string): Storage['source'] {
  if (driver === 'devicemapper') return 'thin-pool';
  if (driver === 'zfs') return 'zfs';
  return 'filesystem';
}

/** Engine 29+ with the containerd image store reports only the snapshotter here. */
export function usesContainerdImageStore(status: DriverStatus): boolean {
  return byKey(status).get('driver-type') === 'io.containerd.snapshotter.v1';
}

/** Share of the usable space that is taken, as df's Use% computes it. On a loop-lvm pool
 *  whose file is capped by its filesystem this is what matters, not Used / Total. */
export function usedFraction(space: Space): number {
  return fraction(space.usedBytes, space.usedBytes + space.availableBytes);
}

export function inodeFraction(inodes: Inodes): number {
  return fraction(inodes.used, inodes.total);
}
