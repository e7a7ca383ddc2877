// A finished container's facts read from the engine's own files (collect/container-
// files.ts, issue #14) are the facts its inspect gives, container by container, on the
// engine this suite runs against (WDT_ENGINE: 20.10, 26.1, 26.1 with the containerd
// image store): containers that ran and exited (plain, failed, with binds, --mount,
// a named volume, tmpfs, labels, log options, a read-only root and added privileges)
// and containers created and never started (privileged, host namespaces, devices).
// A running container is left to its inspect, and so is one whose files are of a
// shape the reader does not know.

import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readContainerFiles } from '../../src/collect/container-files.js';
import { containerFacts } from '../../src/collect/containers.js';
import type { ContainerFacts } from '../../src/core/model.js';
import { connectEngine, type EngineClient } from '../../src/engine/client.js';
import { resolveHost } from '../../src/engine/host.js';
import { auditOffConfig, reportJson } from '../helpers/cli.js';
import { startEngine, TEST_IMAGE, waitExited, type TestEngine } from '../helpers/engine.js';
import { countingProxy } from '../helpers/proxy.js';

let engine: TestEngine;
let client: EngineClient;
let root: string;
/** `docker info`'s Driver: the reader takes only this driver's containers. */
let driver: string;
const ids: Record<string, string> = {};

/** Creates a container; starts it and waits for it to exit unless `start` is false. */
async function container(name: string, start: boolean, options: { cmd?: string[]; labels?: Record<string, string>; hostConfig?: Record<string, unknown> } = {}): Promise<string> {
  const created = await engine.docker.createContainer({
    Image: TEST_IMAGE,
    name,
    Cmd: options.cmd ?? ['true'],
    Labels: options.labels ?? {},
    HostConfig: { NetworkMode: 'none', ...options.hostConfig },
  });
  if (start) {
    await created.start();
    await waitExited(engine.docker, created.id);
  }
  return created.id;
}

/** The facts as the collector makes them; the binds in one order (an inspect lists
 *  mount points in the random order of a Go map, the files in their keys' order). */
const normalized = (facts: ContainerFacts) => ({ ...facts, security: { ...facts.security, binds: [...facts.security.binds].sort((a, b) => `${a.source}:${a.destination}`.localeCompare(`${b.source}:${b.destination}`)) } });

beforeAll(async () => {
  engine = await startEngine('files', 256);
  client = connectEngine(resolveHost(engine.host, {}));
  await client.ping();
  const info = await client.info();
  root = info.DockerRootDir!;
  driver = info.Driver!;
  for (const folder of ['bind-rw', 'bind-ro', 'mount-ro']) mkdirSync(`${engine.dir}/${folder}`, { recursive: true });
  ids.plain = await container('plain', true);
  ids.failed = await container('failed', true, { cmd: ['sh', '-c', 'echo bye; exit 3'] });
  ids.rich = await container('rich', true, {
    cmd: ['sh', '-c', 'echo x > /data/x; echo y > /vol/y'],
    labels: { 'com.example.job': 'nightly', team: 'batch' },
    hostConfig: {
      Binds: [`${engine.dir}/bind-rw:/data`, `${engine.dir}/bind-ro/:/ro:ro`, 'files-volume:/vol'],
      Mounts: [
        { Type: 'bind', Source: `${engine.dir}/mount-ro`, Target: '/mnt', ReadOnly: true },
        { Type: 'tmpfs', Target: '/scratch' },
      ],
      Tmpfs: { '/run': 'size=1m' },
      CapAdd: ['NET_ADMIN'],
      SecurityOpt: ['no-new-privileges'],
      ReadonlyRootfs: true,
      LogConfig: { Type: 'json-file', Config: { 'max-size': '1m', 'max-file': '2' } },
    },
  });
  ids.privileged = await container('privileged', false, { hostConfig: { Privileged: true, PidMode: 'host', IpcMode: 'host' } });
  ids.devices = await container('devices', false, {
    hostConfig: { Devices: [{ PathOnHost: '/dev/null', PathInContainer: '/dev/wdt-null', CgroupPermissions: 'rw' }], DeviceCgroupRules: ['c 1:3 r'], Binds: ['/:/host:ro'] },
  });
  ids.running = await container('running', false, { cmd: ['sleep', '3600'] });
  await engine.docker.getContainer(ids.running).start();
});

afterAll(async () => {
  await engine?.stop();
});

describe("a finished container's facts from the engine's files (issue #14)", () => {
  it('are the facts of its inspect, for containers that ran and exited and containers never started', async () => {
    for (const name of ['plain', 'failed', 'rich', 'privileged', 'devices']) {
      const id = ids[name]!;
      const fromFiles = readContainerFiles(root, driver, id);
      expect(fromFiles, name).not.toBeNull();
      const inspect = (await client.inspectContainer(id))!;
      expect(normalized(containerFacts({ Id: id }, fromFiles!, null)), name).toEqual(normalized(containerFacts({ Id: id }, inspect, null)));
    }
    // What the comparison covers is there to compare.
    const rich = containerFacts({ Id: ids.rich! }, readContainerFiles(root, driver, ids.rich!)!, null);
    expect(rich).toMatchObject({ name: 'rich', state: 'exited', image: TEST_IMAGE, labels: { team: 'batch' }, readonlyRootfs: true, logConfig: { driver: 'json-file' } });
    expect(rich.finishedAt).not.toBeNull();
    expect(rich.security.binds).toHaveLength(3);
    expect(rich.security.tmpfs).toEqual(['/run', '/scratch']);
    expect(rich.security.writableMounts).toEqual(['/data', '/vol']);
    expect(containerFacts({ Id: ids.privileged! }, readContainerFiles(root, driver, ids.privileged!)!, null)).toMatchObject({ state: 'created', finishedAt: null, security: { privileged: true, pidMode: 'host' } });
  });

  it('leave a running container to its inspect, and read it once it has stopped', async () => {
    expect(readContainerFiles(root, driver, ids.running!)).toBeNull();
    await engine.docker.getContainer(ids.running!).stop({ t: 0 });
    await waitExited(engine.docker, ids.running!);
    const inspect = (await client.inspectContainer(ids.running!))!;
    expect(containerFacts({ Id: ids.running! }, readContainerFiles(root, driver, ids.running!)!, null)).toEqual(containerFacts({ Id: ids.running! }, inspect, null));
  });

  it('are what a cold report uses, and files of a shape the reader does not know are refused', async () => {
    // The same container's files, its state changed to a shape the reader refuses,
    // in a copy of the engine's folder: the reader leaves it to an inspect.
    const copy = `${engine.dir}/copy/containers/${ids.plain}`;
    mkdirSync(copy, { recursive: true });
    copyFileSync(`${root}/containers/${ids.plain}/hostconfig.json`, `${copy}/hostconfig.json`);
    const config = JSON.parse(readFileSync(`${root}/containers/${ids.plain}/config.v2.json`, 'utf8'));
    expect(readContainerFiles(`${engine.dir}/copy`, driver, ids.plain!)).toBeNull();
    writeFileSync(`${copy}/config.v2.json`, JSON.stringify(config));
    expect(readContainerFiles(`${engine.dir}/copy`, driver, ids.plain!)).not.toBeNull();
    writeFileSync(`${copy}/config.v2.json`, JSON.stringify({ ...config, State: { ...config.State, Running: undefined } }));
    expect(readContainerFiles(`${engine.dir}/copy`, driver, ids.plain!)).toBeNull();

    // A folder left from another storage driver, in the engine's own containers/: the
    // engine never loaded it (an inspect answers 404), and the report leaves it out.
    const ghost = randomBytes(32).toString('hex');
    mkdirSync(`${root}/containers/${ghost}`);
    writeFileSync(`${root}/containers/${ghost}/config.v2.json`, JSON.stringify({ ...config, ID: ghost, Name: '/ghost', Driver: 'devicemapper' }));
    copyFileSync(`${root}/containers/${ids.plain}/hostconfig.json`, `${root}/containers/${ghost}/hostconfig.json`);
    expect(readContainerFiles(root, driver, ghost)).toBeNull();

    // With none running, a cold report asks the engine about three folders only to
    // know they are its own (holdsThisEngine), and reads the finished ones' facts from
    // their files.
    const running = await engine.docker.getContainer(ids.running!).inspect();
    if (running.State.Running) {
      await engine.docker.getContainer(ids.running!).stop({ t: 0 });
      await waitExited(engine.docker, ids.running!);
    }
    const proxy = await countingProxy(`${engine.dir}/docker.sock`, `${engine.dir}/proxy.sock`);
    try {
      const { report } = await reportJson(proxy.host, ['--state', `${engine.dir}/cold.db`, '-c', auditOffConfig()]);
      const inspects = proxy.requests().filter((r) => /^GET \/containers\/[0-9a-f]{64}\/json$/.test(r));
      expect(inspects).toContain(`GET /containers/${ghost}/json`);
      const named = inspects.filter((r) => !r.includes(ghost)).map((r) => Object.keys(ids).find((name) => r.includes(ids[name]!)) ?? r);
      expect(named.length, `inspected: ${named.join(', ')}`).toBeLessThanOrEqual(3);
      expect(report.exited.count).toBe(6);
      expect(report.containers.map((c: { name: string }) => c.name)).not.toContain('ghost');
      // Six read, and the folder of another driver inspected (and dropped).
      expect(report.collectors.find((c: { collector: string }) => c.collector === 'containers')).toMatchObject({ ok: true, measured: 7, cached: 0 });
      expect(report.containers.find((c: { id: string }) => c.id === ids.rich)).toMatchObject({ name: 'rich', state: 'exited' });
    } finally {
      await proxy.close();
    }
  });
});
