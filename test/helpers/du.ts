// du(1) of what one container occupies, with its paths found independently of the
// watchdog: inspect's GraphDriver data and the layer store's metadata folder, or on the
// containerd image store, where GraphDriver.Data is null, what `ctr` (containerd's own
// client) says of the container's snapshot and its -init parent. For the footprint
// tests and `npm run bench`.

import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { ON_CONTAINERD_STORE, containerdOf, type TestEngine } from './engine.js';

const exec = promisify(execFile);

export async function duOfContainer(engine: TestEngine, id: string): Promise<number> {
  const paths = ON_CONTAINERD_STORE ? await snapshotPaths(engine, id) : await overlay2Paths(engine, id);
  const { stdout } = await exec('du', ['-s', '--block-size=1', ...paths]);
  return stdout
    .trim()
    .split('\n')
    .reduce((sum, line) => sum + Number(line.split('\t')[0]), 0);
}

async function snapshotPaths(engine: TestEngine, id: string): Promise<string[]> {
  const { CONTAINERD_ADDRESS, CONTAINERD_NAMESPACE } = containerdOf(engine.dir);
  const ctr = (...args: string[]) => exec('ctr', ['--address', CONTAINERD_ADDRESS, '--namespace', CONTAINERD_NAMESPACE, 'snapshots', '--snapshotter', 'overlayfs', ...args]);
  // The parent is the container's own -init snapshot (no userns-remap here).
  const info = JSON.parse((await ctr('info', id)).stdout) as { Parent: string };
  if (info.Parent !== `${id}-init`) throw new Error(`snapshot ${id} has parent ${info.Parent}, not its -init`);
  // mount -t overlay overlay /mnt -o index=off,workdir=.../snapshots/N/work,upperdir=.../snapshots/N/fs,lowerdir=.../snapshots/M/fs:...
  const { stdout } = await ctr('mounts', '/mnt', id);
  const upper = /upperdir=([^,\s]+)/.exec(stdout)![1]!;
  const init = /lowerdir=([^,:\s]+)/.exec(stdout)![1]!;
  return [join(engine.dir, 'root', 'containers', id), dirname(upper), dirname(init)];
}

async function overlay2Paths(engine: TestEngine, id: string): Promise<string[]> {
  const inspect = await engine.docker.getContainer(id).inspect();
  const data = inspect.GraphDriver.Data as unknown as { UpperDir: string; LowerDir: string };
  const root = engine.dir + '/root';
  const upper = dirname(data.UpperDir);
  const init = dirname(data.LowerDir.split(':')[0]!);
  const links = [upper, init].map((layer) => join(root, 'overlay2', 'l', readFileSync(join(layer, 'link'), 'utf8').trim()));
  return [join(root, 'containers', id), join(root, 'image', 'overlay2', 'layerdb', 'mounts', id), upper, init, ...links];
}
