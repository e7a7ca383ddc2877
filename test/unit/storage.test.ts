import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { DriverStatus } from '../../src/core/storage.js';
import { filesystemStorage, storageSourceOf, thinPoolStorage, usedFraction, usesContainerdImageStore, zfsStorage } from '../../src/core/storage.js';

// Real GET /info bodies, one per engine generation (see their README for sources).
const FIXTURES = fileURLToPath(new URL('../fixtures/engine-info/', import.meta.url));

interface Info {
  Driver: string;
  DriverStatus: DriverStatus;
}
const load = (file: string): Info => JSON.parse(readFileSync(FIXTURES + file, 'utf8')) as Info;

function storageOf(info: Info) {
  const source = storageSourceOf(info.Driver);
  if (source === 'thin-pool') return thinPoolStorage(info.DriverStatus);
  if (source === 'zfs') return zfsStorage(info.DriverStatus);
  return filesystemStorage('/var/lib/docker', { bsize: 4096, blocks: 1000, bfree: 400, bavail: 400, files: 100, ffree: 10 });
}

const expected: Record<string, object> = {
  'devicemapper-direct-18.06.json': {
    source: 'thin-pool',
    data: { usedBytes: 6_162_000_000, totalBytes: 94_480_000_000, availableBytes: 88_310_000_000 },
    metadata: { usedBytes: 860_200, totalBytes: 994_100_000, availableBytes: 993_200_000 },
    thinPool: { name: 'docker-thinpool', minimumFreeBytes: 9_448_000_000, loopback: false, dataLoopFile: null, metadataLoopFile: null },
  },
  'devicemapper-loop-17.03.json': {
    source: 'thin-pool',
    data: { usedBytes: 11_160_000_000, totalBytes: 107_400_000_000, availableBytes: 96_220_000_000 },
    metadata: { usedBytes: 8_757_000, totalBytes: 2_147_000_000, availableBytes: 2_139_000_000 },
    thinPool: {
      name: 'docker-8:17-20972999-pool',
      minimumFreeBytes: 10_740_000_000,
      loopback: true,
      dataLoopFile: '/media/data/linux/docker/devicemapper/devicemapper/data',
      metadataLoopFile: '/media/data/linux/docker/devicemapper/devicemapper/metadata',
    },
  },
  'devicemapper-loop-18.09.json': {
    source: 'thin-pool',
    // Available (10.1 GB) is far below Total - Used: the loop file's filesystem caps it.
    data: { usedBytes: 161_500_000, totalBytes: 107_400_000_000, availableBytes: 10_100_000_000 },
    metadata: { usedBytes: 802_800, totalBytes: 2_147_000_000, availableBytes: 2_147_000_000 },
    thinPool: { minimumFreeBytes: 10_740_000_000, loopback: true },
  },
  'zfs-19.03.json': {
    source: 'zfs',
    data: { usedBytes: 378_417_152, availableBytes: 510_797_041_664, totalBytes: 378_417_152 + 510_797_041_664 },
    metadata: null,
    thinPool: null,
  },
  // The snapshotter, not a graph driver: capacity is the filesystem, as for overlay2.
  'overlayfs-containerd-26.1.json': {
    source: 'filesystem',
    path: '/var/lib/docker',
  },
  'overlay2-20.10.json': {
    source: 'filesystem',
    data: { totalBytes: 4_096_000, usedBytes: 2_457_600, availableBytes: 1_638_400 },
    inodes: { used: 90, total: 100 },
    thinPool: null,
  },
};

describe('storage from GET /info', () => {
  const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.json'));

  it('has an expectation for every fixture', () => {
    expect(files.sort()).toEqual(Object.keys(expected).sort());
  });

  it.each(files)('%s', (file) => {
    expect(storageOf(load(file))).toMatchObject(expected[file]!);
  });

  it('does not take an empty "Data file" (old direct-lvm engines) for loopback', () => {
    const storage = thinPoolStorage([
      ['Pool Name', 'docker-thinpool'],
      ['Data file', ''],
      ['Metadata file', ''],
      ['Data Space Used', '1 GB'],
      ['Data Space Total', '10 GB'],
    ]);
    expect(storage.thinPool?.loopback).toBe(false);
    // Without "Available" the engine's free space is Total - Used.
    expect(storage.data).toEqual({ usedBytes: 1e9, totalBytes: 1e10, availableBytes: 9e9 });
  });

  it('measures usage against what is usable, as df does', () => {
    // 18.09 loop-lvm: 161.5 MB used, 10.1 GB available.
    const storage = storageOf(load('devicemapper-loop-18.09.json'));
    expect(usedFraction(storage.data!)).toBeCloseTo(161.5e6 / (161.5e6 + 10.1e9), 6);
  });

  it('recognises the containerd image store', () => {
    expect(usesContainerdImageStore([['driver-type', 'io.containerd.snapshotter.v1']])).toBe(true);
    expect(usesContainerdImageStore(load('overlay2-20.10.json').DriverStatus)).toBe(false);
    expect(usesContainerdImageStore(load('overlayfs-containerd-26.1.json').DriverStatus)).toBe(true);
  });
});
