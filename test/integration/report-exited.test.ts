// Exited containers on an engine of their own, so counts are exact: what `system df`
// says they take against what they really take on disk, checked with du(1).

import { spawn } from 'node:child_process';
import pMap from 'p-map';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, auditOffConfig, reportJson, runWatchdog } from '../helpers/cli.js';
import { holdingProxy } from '../helpers/proxy.js';
import { duOfContainer } from '../helpers/du.js';
import { ON_CONTAINERD_STORE, containerdOf, runContainer, startEngine, type TestEngine } from '../helpers/engine.js';

const BATCH = 40;
// What `docker system df` counts for one of them: the graph drivers add up the three
// 2-byte files; containerd's snapshotter counts blocks, as du does (measured on 26.1:
// 16,384 bytes, the files and the folders above them on a 4k ext4).
const SIZE_RW = ON_CONTAINERD_STORE ? 16_384 : 6;

let engine: TestEngine;
let exitedIds: string[];

beforeAll(async () => {
  engine = await startEngine('exited', 512);
  // Each writes three small files, as in the measurement of docs/architecture.md.
  exitedIds = await pMap(
    Array.from({ length: BATCH }, (_, i) => i),
    (i) => runContainer(engine.docker, { name: `batch-${i}`, cmd: ['sh', '-c', 'echo a > /f1; echo b > /f2; echo c > /f3'] }),
    { concurrency: 4 },
  );
  await runContainer(engine.docker, { name: 'still-running', cmd: ['sleep', '600'], detach: true });
});

afterAll(async () => {
  await engine?.stop();
});

describe('watchdog report: exited containers', () => {
  it('counts them exactly and measures their footprint within 10% of du', async () => {
    const { report } = await reportJson(engine.host);
    expect(report.exited.count).toBe(BATCH);
    expect(report.exited.footprintMeasured).toBe(BATCH);
    const du = (await pMap(exitedIds, (id) => duOfContainer(engine, id), { concurrency: 4 })).reduce((a, b) => a + b, 0);
    expect(Math.abs(report.exited.footprintBytes - du) / du).toBeLessThan(0.1);
    // Per container, too: each entry is its own du.
    const first = report.containers.find((c: any) => c.id === exitedIds[0]);
    expect(Math.abs(first.footprintBytes - (await duOfContainer(engine, exitedIds[0]!))) / first.footprintBytes).toBeLessThan(0.1);
    expect(first.footprintInodes).toBeGreaterThan(20);
    // The running container is not among them and has no footprint measured.
    const running = report.containers.find((c: any) => c.name === 'still-running');
    expect(running).toMatchObject({ state: 'running', footprintBytes: null });
  });

  it('shows that their real footprint is far beyond the SizeRw that system df counts', async () => {
    const { report } = await reportJson(engine.host);
    expect(report.exited.sizeRwBytes).toBe(BATCH * SIZE_RW);
    // The running one's snapshot holds one block on containerd (4,096 bytes), nothing on overlay2.
    const running = ON_CONTAINERD_STORE ? 4096 : 0;
    expect(report.usage.containers).toMatchObject({ count: BATCH + 1, active: 1, sizeBytes: BATCH * SIZE_RW + running, reclaimableBytes: BATCH * SIZE_RW });
    // About 100 kB each on disk: 400 times SizeRw on overlay2, 6 times on containerd.
    expect(report.exited.footprintBytes).toBeGreaterThan((ON_CONTAINERD_STORE ? 5 : 100) * report.exited.sizeRwBytes);
    const finding = report.findings.find((f: any) => f.code === 'EXITED_CONTAINERS_OVERHEAD');
    if (ON_CONTAINERD_STORE) {
      // Below the finding's 10 times: containerd's count is nearer the truth.
      expect(finding).toBeUndefined();
    } else {
      expect(finding).toMatchObject({ severity: 'info' });
      expect(finding.message).toMatch(/^40 exited containers take [\d.]+ MB and [\d,]+ inodes on disk, while `docker system df` shows 240 B for them$/);
    }
  });

  it('lists the oldest and heaviest in the text report', async () => {
    const { stdout } = await runWatchdog(['report', '--host', engine.host]);
    expect(stdout).toMatch(/^Exited containers: 40$/m);
    expect(stdout).toMatch(ON_CONTAINERD_STORE ? /docker system df shows +655 kB/ : /docker system df shows +240 B/);
    expect(stdout).toMatch(/^ +oldest +batch-\d+ \(wdt-busybox:latest\), finished (just now|\d+ minutes? ago)$/m);
    expect(stdout).toMatch(/^ +batch-\d+ +wdt-busybox:latest +(just now|\d+ minutes? ago) +(1\d\d|9\d\.\d) kB +0 B$/m);
    if (!ON_CONTAINERD_STORE) expect(stdout).toMatch(/INFO +EXITED_CONTAINERS_OVERHEAD/);
    // 40 uncapped logs of stopped containers: one line with the count and the five
    // biggest, not forty lines (issue #8); --json has them all.
    expect(stdout.match(/INFO +UNBOUNDED_LOG/g)).toHaveLength(1);
    expect(stdout).toMatch(/^  INFO +UNBOUNDED_LOG +40 stopped containers' json-file logs have no max-size \(they grow again if restarted\): (batch-\d+ 0 B, ){4}batch-\d+ 0 B and 35 more \(see --json\)$/m);
  });
});

/** ARGS of the built watchdog on a pseudo-terminal (util-linux's script(1)): stdout and
 *  stderr are both the terminal, and what it printed comes back as one stream. */
function onTerminal(args: string[], env: Record<string, string>): Promise<{ code: number | null; output: string; seconds: number }> {
  const quote = (arg: string) => `'${arg.replaceAll("'", `'\\''`)}'`;
  const command = [process.execPath, BIN, ...args].map(quote).join(' ');
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qefc', command, '/dev/null'], { env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output, seconds: (performance.now() - started) / 1000 }));
  });
}

describe('the progress line of a long scan (issue #14)', () => {
  // The engine's list of active containers held 1.6 s at a proxy: the cold scan then
  // reads the 40 exited containers' files (collect/container-files.ts) past the second
  // after which the line is drawn.
  const PROGRESS = /\rwatchdog: reading \d+ of 40 containers\x1b\[K/;
  const slowList = () => holdingProxy(`${engine.dir}/docker.sock`, `${engine.dir}/slow.sock`, /^GET (\/v[\d.]+)?\/containers\/json[? ]/, 1600);
  let cold = 0;
  const args = (extra: string[]) => ['report', '--host', `unix://${engine.dir}/slow.sock`, '--state', `${engine.dir}/cold-${++cold}.db`, '-c', auditOffConfig(), ...extra];

  it('is drawn on a terminal and cleared before the report', async () => {
    const proxy = await slowList();
    try {
      const { code, output, seconds } = await onTerminal(args([]), containerdOf(engine.dir));
      expect(seconds).toBeGreaterThan(1.5);
      // 1: the report has warnings (uncapped logs), as it does without a terminal.
      expect(code).toBe(1);
      expect(output).toMatch(PROGRESS);
      // Then the running one, inspected.
      expect(output).toMatch(/\rwatchdog: inspecting 1 of 1 containers\x1b\[K/);
      // The last drawing is erased, then the report is printed from the line's start.
      const cleared = output.lastIndexOf('\r\x1b[K');
      expect(cleared).toBeGreaterThan(output.search(PROGRESS));
      expect(output.slice(cleared)).toMatch(/^\r\x1b\[K(\r?\n)*docker-watchdog report/);
      expect(output).toMatch(/^Exited containers: 40\r?$/m);
    } finally {
      await proxy.close();
    }
  });

  it('is never in --json output, even on a terminal, nor on a stderr that is not one', async () => {
    const proxy = await slowList();
    try {
      const json = await onTerminal(args(['--json']), containerdOf(engine.dir));
      expect(json.seconds).toBeGreaterThan(1.5);
      expect(json.output).not.toMatch(/reading|inspecting/);
      expect(JSON.parse(json.output).exited.count).toBe(BATCH);

      const started = performance.now();
      const piped = await runWatchdog(args([]));
      expect(performance.now() - started).toBeGreaterThan(1500);
      expect(piped.stdout).toMatch(/^Exited containers: 40$/m);
      expect(piped.stderr).toBe('');
    } finally {
      await proxy.close();
    }
  });
});
