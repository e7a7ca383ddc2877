// Throwaway engines for integration tests, and the busybox containers they run. Every
// container runs with --network none from the image made by test-engine.sh; nothing is
// ever pulled.

import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import Docker from 'dockerode';

const run = promisify(execFile);

export const ENGINE_SCRIPT = fileURLToPath(new URL('../engine/test-engine.sh', import.meta.url));
/** Every test engine lives here; the global setup clears what killed runs left.
 *  WDT_ENGINES_DIR gives a second checkout its own (test-engine.sh reads it too). */
export const ENGINES_DIR = process.env.WDT_ENGINES_DIR ?? '/tmp/docker-watchdog-test';
export const TEST_IMAGE = 'wdt-busybox:latest';
/** The engine the suite runs against: 20.10, 26.1 or 26.1-containerd (test-engine.sh). */
export const ENGINE_KIND = process.env.WDT_ENGINE ?? '20.10';
/** Containers' writable layers are containerd snapshots, not overlay2 folders. */
export const ON_CONTAINERD_STORE = ENGINE_KIND === '26.1-containerd';

/** The test engine in DIR runs its own containerd (test-engine.sh), not at the socket or
 *  namespace a stock dockerd uses: the watchdog is told where, as the README tells an
 *  operator of such a host to tell it. */
export function containerdOf(dir: string): { CONTAINERD_ADDRESS: string; CONTAINERD_NAMESPACE: string } {
  return { CONTAINERD_ADDRESS: `${dir}/exec/containerd.sock`, CONTAINERD_NAMESPACE: `wdt-${dir.slice(dir.lastIndexOf('/') + 1)}` };
}

export interface TestEngine {
  dir: string;
  host: string;
  docker: Docker;
  stop(): Promise<void>;
}

/** Starts the engine NAME in ENGINES_DIR/NAME (see test-engine.sh); containerdTmpfsMb
 *  puts containerd's root on a filesystem of its own. */
export async function startEngine(name: string, sizeMb: number, inodes?: number, options: { containerdTmpfsMb?: number } = {}): Promise<TestEngine> {
  const args = ['start', name, String(sizeMb), ...(inodes ? [String(inodes)] : [])];
  const env = { ...process.env, ...(options.containerdTmpfsMb ? { WDT_CONTAINERD_TMPFS_MB: String(options.containerdTmpfsMb) } : {}) };
  await run('bash', [ENGINE_SCRIPT, ...args], { maxBuffer: 1 << 24, env });
  return engineNamed(name);
}

export function engineNamed(name: string): TestEngine {
  const dir = `${ENGINES_DIR}/${name}`;
  return {
    dir,
    host: `unix://${dir}/docker.sock`,
    // host: undefined, or docker-modem prefers a DOCKER_HOST from the environment and
    // the tests would drive whatever engine that names.
    docker: new Docker({ socketPath: `${dir}/docker.sock`, host: undefined, port: undefined } as Docker.DockerOptions),
    stop: async () => void (await run('bash', [ENGINE_SCRIPT, 'stop', name])),
  };
}

export interface ContainerSpec {
  name?: string;
  cmd: string[];
  logOpts?: Record<string, string>;
  labels?: Record<string, string>;
  /** Wait for it to exit (default), or leave it running. */
  detach?: boolean;
}

/** Creates and starts a container; returns its id once it has exited (unless detached). */
export async function runContainer(docker: Docker, spec: ContainerSpec): Promise<string> {
  const container = await docker.createContainer({
    Image: TEST_IMAGE,
    name: spec.name,
    Cmd: spec.cmd,
    Labels: spec.labels ?? {},
    HostConfig: { NetworkMode: 'none', LogConfig: { Type: 'json-file', Config: spec.logOpts ?? {} } },
  });
  await container.start();
  if (!spec.detach) await waitExited(docker, container.id);
  return container.id;
}

/** Waits for a container to exit and for the engine's list to say so. */
export async function waitExited(docker: Docker, id: string): Promise<void> {
  await docker.getContainer(id).wait();
  await untilListedExited(docker, id);
}

// Engine 26.1 answers /wait before its container list shows the container as exited:
// the CI run of 926be38 listed a container "running" after wait and "exited" 0.7 s
// later. Tests that compare lists before and after need the settled state.
async function untilListedExited(docker: Docker, id: string): Promise<void> {
  for (let tries = 0; tries < 100; tries++) {
    const [listed] = await docker.listContainers({ all: true, filters: { id: [id] } });
    if (listed?.State === 'exited' || listed?.State === 'dead') return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`container ${id.slice(0, 12)} still not listed as exited 10 s after wait returned`);
}
