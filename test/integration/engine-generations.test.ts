// What differs between engine generations (issue #10), on whichever engine the suite
// runs against (20.10, 26.1, 26.1 with the containerd image store): the API version the
// watchdog speaks, the fields it reads at that version, and what an exited container
// costs, never reported below what `docker system df` shows, on the containerd image
// store too, where the writable layer is a containerd snapshot only containerd can place.

import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportJson, runWatchdog } from '../helpers/cli.js';
import { ON_CONTAINERD_STORE, runContainer, startEngine, type TestEngine } from '../helpers/engine.js';
import { countingProxy } from '../helpers/proxy.js';

const MB = 1_000_000;
let engine: TestEngine;
let big: string;
let fresh = 0;
/** A store of its own each time: the exited cache would otherwise answer. */
const freshState = () => `${engine.dir}/fresh-${fresh++}.db`;

beforeAll(async () => {
  engine = await startEngine('bigexited', 512);
  big = await runContainer(engine.docker, { name: 'wrote-50mb', cmd: ['sh', '-c', 'dd if=/dev/urandom of=/data bs=1000000 count=50 2>/dev/null'] });
  await runContainer(engine.docker, { name: 'wrote-nothing', cmd: ['true'] });
});

afterAll(async () => {
  await engine?.stop();
});

describe('the API version', () => {
  it("speaks the engine's own API version, from /_ping's header: the two questions asked with the ping in none (the engine answers those in its own), every later request in it", async () => {
    const { ApiVersion } = await engine.docker.version();
    expect(ApiVersion).toBe({ '20.10': '1.41', '26.1': '1.45', '26.1-containerd': '1.45' }[process.env.WDT_ENGINE ?? '20.10']);
    const proxy = await countingProxy(`${engine.dir}/docker.sock`, `${engine.dir}/versions.sock`);
    try {
      const { report } = await reportJson(proxy.host, ['--state', freshState()]);
      expect(report.engine.apiVersion).toBe(ApiVersion);
      // The ping, `docker info` and the active containers go out at once (issue #14).
      const [opening, rest] = [proxy.rawRequests().slice(0, 3), proxy.rawRequests().slice(3)];
      expect(opening.map((line) => line.replace(/\?.*$/, '')).sort()).toEqual(['GET /_ping', 'GET /containers/json', 'GET /info']);
      expect(rest.length).toBeGreaterThan(2);
      // Answered in the version negotiated (the engine's own), so not asked again.
      expect(rest.filter((line) => /^GET \/v[\d.]+\/(info|containers\/json)/.test(line))).toEqual([]);
      for (const line of rest) expect(line).toMatch(new RegExp(`^[A-Z]+ /v${ApiVersion.replace('.', '\\.')}/`));
      // Nor /version, which makes the engine ask containerd and run runc.
      expect(rest.filter((line) => / \/v[\d.]+\/version$/.test(line))).toEqual([]);
    } finally {
      await proxy.close();
    }
  });

  it('reads the same df figures at that version as the engine gives its own CLI-era clients at 1.41', async () => {
    // The host's docker CLI (20.10) speaks 1.41 to any engine: the fields moved since
    // (Images[].VirtualSize dropped in 1.44, and so on) must not change the totals.
    const old = new Docker({ socketPath: `${engine.dir}/docker.sock`, host: undefined, port: undefined, version: 'v1.41' } as Docker.DockerOptions);
    const atOld = (await old.df()) as { LayersSize: number; Containers: Array<{ SizeRw?: number }> };
    const { report } = await reportJson(engine.host, ['--state', freshState(), '--fresh']);
    expect(report.usage.images.sizeBytes).toBe(atOld.LayersSize);
    expect(report.usage.containers.sizeBytes).toBe(atOld.Containers.reduce((sum, c) => sum + (c.SizeRw ?? 0), 0));
    expect(report.usage.containers.count).toBe(atOld.Containers.length);
  });
});

describe('exited containers against docker system df', () => {
  it('measures a container that wrote 50 MB at 50 MB or more, and never a total below SizeRw', async () => {
    const { report } = await reportJson(engine.host, ['--state', freshState()]);
    const container = report.containers.find((c: any) => c.id === big);
    expect(container.sizeRwBytes).toBeGreaterThanOrEqual(50 * MB);
    expect(container.footprintBytes).toBeGreaterThanOrEqual(container.sizeRwBytes);
    expect(report.exited.footprintMeasured).toBe(2);
    expect(report.exited.footprintBytes).toBeGreaterThanOrEqual(report.exited.sizeRwBytes);
    expect(report.findings.filter((f: any) => f.code === 'COLLECTOR_FAILED')).toEqual([]);
    // containerd was asked where its root is: no note that the store is not shown.
    expect(report.storage.note).toBeNull();
    expect(report.engine.containerdImageStore).toBe(ON_CONTAINERD_STORE);
  });

  it('says which store the engine uses in the text report', async () => {
    const { stdout } = await runWatchdog(['report', '--host', engine.host, '--state', freshState()]);
    const engineLine = stdout.split('\n').find((line) => line.startsWith('Engine: '));
    expect(engineLine).toContain(ON_CONTAINERD_STORE ? '  containerd image store (overlayfs snapshotter)  ' : '  overlay2  ');
  });

  it.runIf(ON_CONTAINERD_STORE)('reports footprints it cannot measure as not measured, with a finding naming the address, never as a number', async () => {
    const nowhere = `${engine.dir}/no-containerd.sock`;
    const { report, code } = await reportJson(engine.host, ['--state', freshState()], { CONTAINERD_ADDRESS: nowhere });
    // Unmeasured, not a number that reads as measured, however df counts them.
    for (const c of report.containers) expect(c.footprintBytes).toBeNull();
    expect(report.exited.footprintMeasured).toBe(0);
    expect(report.exited.footprintBytes).toBeNull();
    expect(report.exited.sizeRwBytes).toBeGreaterThanOrEqual(50 * MB);
    const failed = report.findings.filter((f: any) => f.code === 'COLLECTOR_FAILED');
    expect(failed.map((f: any) => f.subject).sort()).toEqual(['footprint']);
    expect(failed[0].message).toMatch(new RegExp(`^footprint: containerd at ${nowhere} \\(found by CONTAINERD_ADDRESS\\) cannot be reached \\(.*ENOENT.*\\); is it running\\? Else set CONTAINERD_ADDRESS and CONTAINERD_NAMESPACE to the ones the engine uses$`));
    expect(report.storage.note).toMatch(/^the engine keeps images and writable layers in containerd's store, whose space is not shown: containerd at /);
    // A collector that failed, and nothing worse: exit 3 (unknown).
    expect(code).toBe(3);
    const { stdout } = await runWatchdog(['report', '--host', engine.host, '--state', freshState()], { CONTAINERD_ADDRESS: nowhere });
    expect(stdout).toMatch(/^ {2}on disk {17}not measured \(see findings\)$/m);
  });

  it.runIf(ON_CONTAINERD_STORE)('measures and keeps, once containerd is back, the footprints a run could not measure', async () => {
    const state = freshState();
    const down = await reportJson(engine.host, ['--state', state], { CONTAINERD_ADDRESS: `${engine.dir}/no-containerd.sock` });
    expect(down.report.exited.footprintMeasured).toBe(0);
    const back = await reportJson(engine.host, ['--state', state]);
    expect(back.report.exited.footprintMeasured).toBe(2);
    expect(back.report.collectors.find((c: any) => c.collector === 'footprint')).toMatchObject({ measured: 2, cached: 0 });
    // Stored this time: the next run neither asks containerd nor walks the folders.
    const after = await reportJson(engine.host, ['--state', state]);
    expect(after.report.collectors.find((c: any) => c.collector === 'footprint')).toMatchObject({ measured: 0, cached: 2 });
    expect(after.report.exited.footprintBytes).toBe(back.report.exited.footprintBytes);
  });

  it.runIf(ON_CONTAINERD_STORE)('says so when containerd has no snapshot for a container the engine still has (the wrong namespace)', async () => {
    const { report } = await reportJson(engine.host, ['--state', freshState()], { CONTAINERD_NAMESPACE: 'no-such-namespace' });
    expect(report.exited.footprintMeasured).toBe(0);
    expect(report.exited.footprintBytes).toBeNull();
    const failed = report.findings.find((f: any) => f.code === 'COLLECTOR_FAILED' && f.subject === 'footprint');
    expect(failed.message).toMatch(/^footprint: 2 of 2 failed, first: containerd at \S+ has no snapshot [0-9a-f]{12} in namespace no-such-namespace; if the engine keeps its containers in another, set CONTAINERD_NAMESPACE$/);
  });
});

describe.runIf(ON_CONTAINERD_STORE)("containerd's root on a filesystem of its own", () => {
  let own: TestEngine;
  beforeAll(async () => {
    own = await startEngine('ownstore', 256, undefined, { containerdTmpfsMb: 64 });
    // 52 MB in a writable layer on containerd's 67.1 MB, with the image (its blob and its
    // snapshot, about 6 MB measured): about 87 %, between the 80 % warning and the 90 %.
    await runContainer(own.docker, { name: 'filler', cmd: ['sh', '-c', 'dd if=/dev/urandom of=/data bs=1000000 count=52 2>/dev/null'] });
  });
  afterAll(async () => {
    await own?.stop();
  });

  it('measures its space and inodes, says what of it images and writable layers take, and alerts on it', async () => {
    const { report } = await reportJson(own.host, ['--state', `${own.dir}/state.db`]);
    const snapshotter = `${own.dir}/root/containerd/io.containerd.snapshotter.v1.overlayfs`;
    expect(report.storage.imageStore).toMatchObject({ path: snapshotter, data: { totalBytes: 64 * 1024 * 1024 } });
    expect(report.storage.imageStore.inodes.used).toBeGreaterThan(0);
    expect(report.storage.note).toBeNull();
    // The data-root (the loop file) holds the containers' folders only.
    expect(report.storage.data.usedBytes).toBeLessThan(10 * MB);
    const low = report.findings.find((f: any) => f.code === 'DATA_SPACE_LOW');
    expect(low).toMatchObject({ space: 'image-store', severity: 'warning' });
    expect(low.message).toContain(snapshotter);
    const { stdout } = await runWatchdog(['report', '--host', own.host, '--state', `${own.dir}/state.db`]);
    expect(stdout).toMatch(/^ {2}containerd +\S+ MB used +\S+ (kB|MB) available +of 67.1 MB +\d+\.\d%$/m);
    expect(stdout).toMatch(new RegExp(`^  containerd keeps images and writable layers in ${snapshotter}: 5\\d(\\.\\d)? MB of it by docker system df \\(its Images line counts the writable layers too on this store\\)$`, 'm'));
  });
});
