// Exited containers on the containerd image store (issue #10): their writable layers
// are snapshots in containerd's snapshotter, keyed by the container's ID, with a
// committed "<id>-init" snapshot under each (the engine's /etc/hosts and friends).
// Neither shows under DockerRootDir: containerd says where they are.

import { existsSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import pMap from 'p-map';
// Types only: the client (and grpc-js, ~40 ms) is loaded by openContainerd, when needed.
import type { ContainerdClient, ContainerdEndpoint, ContainerdError } from '../engine/containerd.js';
import type { InfoResponse } from '../engine/shapes.js';

/** Where a containerd started by dockerd listens (under its default exec root), then a
 *  system containerd's socket: engines before 27 do not say which they use. */
export const CONTAINERD_SOCKETS = ['/run/docker/containerd/containerd.sock', '/run/containerd/containerd.sock'];
/** The namespace dockerd keeps its containers in unless told otherwise. */
export const MOBY_NAMESPACE = 'moby';

/** The engine's containerd: what `docker info` says (API 1.46+: the engine knows best,
 *  whatever a shell set for ctr or nerdctl), else CONTAINERD_ADDRESS and
 *  CONTAINERD_NAMESPACE as ctr reads them, else the defaults. */
export function containerdEndpoint(info: InfoResponse, env: Readonly<Record<string, string | undefined>>, exists: (path: string) => boolean = existsSync): ContainerdEndpoint {
  const namespace = info.Containerd?.Namespaces?.Containers || env.CONTAINERD_NAMESPACE || MOBY_NAMESPACE;
  if (info.Containerd?.Address) return { address: info.Containerd.Address, namespace, foundBy: 'docker info' };
  if (env.CONTAINERD_ADDRESS) return { address: env.CONTAINERD_ADDRESS, namespace, foundBy: 'CONTAINERD_ADDRESS' };
  const address = CONTAINERD_SOCKETS.find((path) => exists(path)) ?? CONTAINERD_SOCKETS[1]!;
  return { address, namespace, foundBy: 'the default; set CONTAINERD_ADDRESS if the engine uses another' };
}

export async function openContainerd(endpoint: ContainerdEndpoint): Promise<ContainerdClient> {
  const { ContainerdClient } = await import('../engine/containerd.js');
  return new ContainerdClient(endpoint);
}

const option = (options: string[], name: string) => options.find((o) => o.startsWith(`${name}=`))?.slice(name.length + 1) ?? null;

/** Each container's snapshot folders (containerSnapshotDirs), or its error, asked a few
 *  at a time. A containerd that stops answering (UNAVAILABLE, DEADLINE_EXCEEDED) fails
 *  the rest at once: a 10 s deadline for each of a thousand containers would hold the
 *  run, and its lock, for minutes. */
export async function snapshotDirsOf(containerd: ContainerdClient, snapshotter: string, containerIds: string[]): Promise<Map<string, string[] | null | Error>> {
  const dirs = new Map<string, string[] | null | Error>();
  let gaveUp: Error | null = null;
  await pMap(
    containerIds,
    async (id) => {
      const found = gaveUp ?? (await containerSnapshotDirs(containerd, snapshotter, id).catch((error: Error) => error));
      if (found instanceof Error && (found as Partial<ContainerdError>).unreachable) gaveUp = found;
      dirs.set(id, found);
    },
    { concurrency: 16 },
  );
  return dirs;
}

/** The folders of a container's own snapshots (its writable one and the -init ones under
 *  it: `<id>-init`, and with userns-remap a chowned `<id>-init-<uid>-<gid>` copy), each
 *  a snapshot's whole folder (overlayfs keeps fs/ and work/ in it); null when containerd
 *  has no snapshot by that key (the container is gone). */
export async function containerSnapshotDirs(containerd: ContainerdClient, snapshotter: string, containerId: string): Promise<string[] | null> {
  let mounts;
  const own: string[] = [];
  try {
    let parent;
    [mounts, parent] = await Promise.all([containerd.mounts(snapshotter, containerId), containerd.parentOf(snapshotter, containerId)]);
    while (parent.startsWith(`${containerId}-init`)) {
      own.push(parent);
      parent = await containerd.parentOf(snapshotter, parent);
    }
  } catch (error) {
    if ((error as Partial<ContainerdError>).notFound) return null;
    throw error;
  }
  const snapshotDir = (fsDir: string) => (basename(fsDir) === 'fs' ? dirname(fsDir) : fsDir);
  const dirs: string[] = [];
  for (const mount of mounts) {
    const upper = option(mount.options, 'upperdir');
    if (upper) {
      dirs.push(snapshotDir(upper));
      // Lower layers come nearest first: the first `own.length` are the container's own.
      const lowers = option(mount.options, 'lowerdir')?.split(':') ?? [];
      dirs.push(...lowers.slice(0, own.length).map(snapshotDir));
    } else if (own.length === 0 && (mount.type === 'bind' || mount.options.includes('bind') || mount.options.includes('rbind'))) {
      // A snapshot without parents: its folder.
      dirs.push(snapshotDir(mount.source));
    }
  }
  if (dirs.length === 0) {
    throw new Error(`containerd's ${snapshotter} snapshotter gives no folder for container ${containerId.slice(0, 12)} (mounts: ${JSON.stringify(mounts)}); the watchdog measures overlayfs snapshots only`);
  }
  return dirs;
}

/** The snapshotter's own folder (its plugin's "root" export), whose filesystem holds
 *  the images' and containers' layers. */
export async function snapshotterRoot(containerd: ContainerdClient, snapshotter: string): Promise<string> {
  const root = await containerd.snapshotterRoot(snapshotter);
  if (!root) throw new Error(`containerd at ${containerd.endpoint.address} has no ${snapshotter} snapshotter with a folder of its own; the watchdog measures overlayfs snapshots only`);
  return root;
}
