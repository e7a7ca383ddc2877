// What one mode check of SETUID_DRIFT costs: the median time of N HEAD
// /containers/{id}/archive requests (the engine's stat of one path) through the
// watchdog's own client, on a running container and on an exited one (which the engine
// mounts and unmounts for each request). Against a test engine only:
//
//   WDT_ENGINES_DIR=/tmp/wdt-x bash test/engine/test-engine.sh start bench 256
//   npx tsx bench/path-stat.ts unix:///tmp/wdt-x/bench/docker.sock [N]
//
// It creates two containers (--network none, from the test image) and removes them.

import Docker from 'dockerode';
import { connectEngine } from '../src/engine/client.js';
import { resolveHost } from '../src/engine/host.js';

const [host, count = '200'] = process.argv.slice(2);
if (!host?.startsWith('unix:///tmp/')) throw new Error(`give the socket of a test engine under /tmp, e.g. unix:///tmp/wdt-x/bench/docker.sock, not "${host}"`);
const n = Number(count);
const docker = new Docker({ socketPath: host.slice('unix://'.length), host: undefined, port: undefined } as Docker.DockerOptions);
const client = connectEngine(resolveHost(host, {}));
await client.ping();

const SCRIPT = 'mkdir -p /usr/local/bin && cp /bin/busybox /usr/local/bin/sb && chmod 4755 /usr/local/bin/sb';
async function container(name: string, keepRunning: boolean): Promise<string> {
  const c = await docker.createContainer({ Image: 'wdt-busybox:latest', name, Cmd: ['sh', '-c', keepRunning ? `${SCRIPT} && sleep 600` : SCRIPT], HostConfig: { NetworkMode: 'none' } });
  await c.start();
  if (keepRunning) await new Promise((r) => setTimeout(r, 500));
  else await c.wait();
  return c.id;
}

async function median(id: string): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const start = process.hrtime.bigint();
    const stat = await client.containerPathStat(id, '/usr/local/bin/sb');
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
    if (!stat) throw new Error('the file is not there');
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

const suffix = Date.now().toString(36);
const running = await container(`stat-running-${suffix}`, true);
const exited = await container(`stat-exited-${suffix}`, false);
try {
  // One unmeasured round each: the first request opens the connection.
  await client.containerPathStat(running, '/'), await client.containerPathStat(exited, '/');
  const version = (await docker.version()).Version;
  console.log(`engine ${version}, ${n} HEAD /containers/{id}/archive each, median: running ${(await median(running)).toFixed(2)} ms, exited ${(await median(exited)).toFixed(2)} ms`);
} finally {
  for (const id of [running, exited]) await docker.getContainer(id).remove({ force: true });
}
