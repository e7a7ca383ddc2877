// Exited containers on the containerd image store (issue #10): their writable layers
// are snapshots in containerd's snapshotter, keyed by the container's ID, with a
// committed "<id>-init" snapshot under each (the engine's /etc/hosts and friends).
// Neither shows under DockerRootDir: containerd says where they are.

import { existsSync } from 'node:fs';
import { basename, dirname } from 'node:path';
// Types only: the client (and grpc-js, ~40 ms) is loaded by openContainerd, when needed.
import type { ContainerdClient, ContainerdEndpoint, ContainerdError } from '../engine/containerd.js';
import type { InfoResponse } from '../engine/shapes.js';

/** Where a containerd started by dockerd listens (under its default exec root), then a
 *  system containerd's socket: engines before 27 do not say which they use. */
export const CONTAINERD_SOCKETS = ['/run/docker/containerd/containerd.sock', '/run/containerd/containerd.sock'];
/** The namespace dockerd keeps its containers in unless told otherwise. */
export const MOBY_NAMESPACE = 'moby';

/** The engine's containerd: what `docker info` says (API 1.46+), else
 *  CONTAINERD_ADDRESS and CONTAINERD_NAMESPACE as ctr reads them, else the defaults. */
export function containerdEndpoint(info: InfoResponse, env: Readonly<Record<string, string | undefined>>, exists: (path: string) => boolean = existsSync): ContainerdEndpoint {
  const namespace = env.CONTAINERD_NAMESPACE || info.Containerd?.Namespaces?.Containers || MOBY_NAMESPACE;
  if (env.CONTAINERD_ADDRESS) return { address: env.CONTAINERD_ADDRESS, namespace, foundBy: 'CONTAINERD_ADDRESS' };
  if (info.Containerd?.Address) return { address: info.Containerd.Address, namespace, foundBy: 'docker info' };
  const address = CONTAINERD_SOCKETS.find((path) => exists(path)) ?? CONTAINERD_SOCKETS[1]!;
  return { address, namespace, foundBy: 'the default; set CONTAINERD_ADDRESS if the engine uses another' };
}

export async function openContainerd(endpoint: ContainerdEndpoint): Promise<ContainerdClient> {
  const { ContainerdClient } = await import('../engine/containerd.js');
  return new ContainerdClient(endpoint);
}

const option = (options: string[], name: string) => options.find((o) => o.startsWith(`${name}=`))?.slice(name.length + 1) ?? null;

/** The folders of a container's own snapshots (its writable one and its -init one),
 *  each a snapshot's whole folder (overlayfs keeps fs/ and work/ in it); null when
 *  containerd has no snapshot by that key (the container is gone). */
export async function containerSnapshotDirs(containerd: ContainerdClient, snapshotter: string, containerId: string): Promise<string[] | null> {
  let mounts;
  let parent;
  try {
    [mounts, parent] = await Promise.all([containerd.mounts(snapshotter, containerId), containerd.parentOf(snapshotter, containerId)]);
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
      // The first lower layer is the parent: the container's own only if it is its -init.
      const lower = option(mount.options, 'lowerdir')?.split(':')[0];
      if (lower && parent === `${containerId}-init`) dirs.push(snapshotDir(lower));
    } else if (mount.type === 'bind' || mount.options.includes('bind') || mount.options.includes('rbind')) {
      // A snapshot without parents, or a snapshotter that copies (native): the folder itself.
      dirs.push(snapshotDir(mount.source));
    }
  }
  if (dirs.length === 0) throw new Error(`containerd gives no folder for snapshot ${containerId.slice(0, 12)} of ${snapshotter} (mounts: ${JSON.stringify(mounts)})`);
  return dirs;
}

/** containerd's root: the folder its snapshotter's own folder is in. */
export async function containerdRoot(containerd: ContainerdClient, snapshotter: string): Promise<string | null> {
  const root = await containerd.snapshotterRoot(snapshotter);
  return root ? dirname(root) : null;
}
