// Which containerd the watchdog asks about an engine on the containerd image store
// (issue #10): what `docker info` says on API 1.46+, what the operator set, or the
// sockets a stock install uses.

import { describe, expect, it } from 'vitest';
import { containerSnapshotDirs, containerdEndpoint, snapshotDirsOf } from '../../src/collect/snapshots.js';
import type { ContainerdClient } from '../../src/engine/containerd.js';

// The shape of GET /info's Containerd on API 1.46+ (engine 27 and later).
const engine29 = { Containerd: { Address: '/run/containerd/containerd.sock', Namespaces: { Containers: 'moby', Plugins: 'plugins.moby' } } };
const engine26 = {};
const none = () => false;

describe('containerdEndpoint', () => {
  it('takes what docker info says on engines that say it', () => {
    expect(containerdEndpoint(engine29, {}, none)).toEqual({ address: '/run/containerd/containerd.sock', namespace: 'moby', foundBy: 'docker info' });
    const custom = { Containerd: { Address: '/var/run/docker/containerd/containerd.sock', Namespaces: { Containers: 'ci' } } };
    expect(containerdEndpoint(custom, {}, none)).toMatchObject({ address: '/var/run/docker/containerd/containerd.sock', namespace: 'ci' });
  });

  it('takes CONTAINERD_ADDRESS and CONTAINERD_NAMESPACE, as ctr does, from engines that do not say', () => {
    expect(containerdEndpoint(engine26, { CONTAINERD_ADDRESS: '/srv/c.sock', CONTAINERD_NAMESPACE: 'other' }, none)).toEqual({ address: '/srv/c.sock', namespace: 'other', foundBy: 'CONTAINERD_ADDRESS' });
    // A shell's variables for ctr or nerdctl do not beat what the engine itself says.
    expect(containerdEndpoint(engine29, { CONTAINERD_ADDRESS: '/srv/c.sock', CONTAINERD_NAMESPACE: 'other' }, none)).toEqual({ address: '/run/containerd/containerd.sock', namespace: 'moby', foundBy: 'docker info' });
  });

  it('prefers the containerd dockerd starts itself, then a system one, on engines that do not say', () => {
    const exists = (path: string) => path === '/run/docker/containerd/containerd.sock';
    expect(containerdEndpoint(engine26, {}, exists)).toMatchObject({ address: '/run/docker/containerd/containerd.sock', namespace: 'moby' });
    expect(containerdEndpoint(engine26, {}, none)).toMatchObject({ address: '/run/containerd/containerd.sock', namespace: 'moby' });
    expect(containerdEndpoint(engine26, {}, none).foundBy).toMatch(/^the default; set CONTAINERD_ADDRESS/);
  });
});

/** A containerd that knows a chain of snapshots: key -> parent, and the overlay mount of
 *  the active one; every call counted. */
function fakeContainerd(parents: Record<string, string>, lowerdir: string, fail?: Error) {
  const calls = { mounts: 0, stat: 0 };
  const client = {
    endpoint: { address: '/run/x.sock', namespace: 'moby', foundBy: 'docker info' },
    mounts: async () => {
      calls.mounts++;
      if (fail) throw fail;
      return [{ type: 'overlay', source: 'overlay', options: ['index=off', 'workdir=/r/snapshots/9/work', 'upperdir=/r/snapshots/9/fs', `lowerdir=${lowerdir}`] }];
    },
    parentOf: async (_snapshotter: string, key: string) => {
      calls.stat++;
      if (fail) throw fail;
      if (!(key in parents)) throw Object.assign(new Error(`${key} not found`), { notFound: true });
      return parents[key]!;
    },
  };
  return { client: client as unknown as ContainerdClient, calls };
}

describe('containerSnapshotDirs', () => {
  it("takes the container's snapshot and its -init parent, not the image's layers", async () => {
    const { client } = fakeContainerd({ c1: 'c1-init', 'c1-init': 'sha256:img' }, '/r/snapshots/8/fs:/r/snapshots/1/fs');
    expect(await containerSnapshotDirs(client, 'overlayfs', 'c1')).toEqual(['/r/snapshots/9', '/r/snapshots/8']);
  });

  it('takes every -init snapshot of the chain (userns-remap adds a chowned copy)', async () => {
    const { client } = fakeContainerd({ c1: 'c1-init-1000-1000', 'c1-init-1000-1000': 'c1-init', 'c1-init': 'sha256:img' }, '/r/snapshots/8/fs:/r/snapshots/7/fs:/r/snapshots/1/fs');
    expect(await containerSnapshotDirs(client, 'overlayfs', 'c1')).toEqual(['/r/snapshots/9', '/r/snapshots/8', '/r/snapshots/7']);
  });

  it('says null for a container containerd has no snapshot of (removed meanwhile)', async () => {
    const { client } = fakeContainerd({}, '/r/snapshots/1/fs');
    expect(await containerSnapshotDirs(client, 'overlayfs', 'gone')).toBeNull();
  });
});

describe('snapshotDirsOf', () => {
  it('stops asking a containerd that does not answer: the rest fail at once with the same error', async () => {
    const down = Object.assign(new Error('containerd at /run/x.sock cannot be reached'), { unreachable: true });
    const { client, calls } = fakeContainerd({}, '', down);
    const ids = Array.from({ length: 100 }, (_, i) => `c${i}`);
    const dirs = await snapshotDirsOf(client, 'overlayfs', ids);
    expect([...dirs.values()].every((d) => d === down)).toBe(true);
    expect(dirs.size).toBe(100);
    // At most the 16 asked together; none after the first failure.
    expect(calls.mounts).toBeGreaterThan(0);
    expect(calls.mounts).toBeLessThanOrEqual(16);
  });

  it('keeps asking after an error that concerns one container only', async () => {
    const odd = Object.assign(new Error('answered mounts: snapshot c3 is committed'), { unreachable: false });
    const { client, calls } = fakeContainerd({}, '', odd);
    await snapshotDirsOf(client, 'overlayfs', ['c1', 'c2', 'c3']);
    expect(calls.mounts).toBe(3);
  });
});
