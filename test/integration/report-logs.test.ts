// `watchdog report` on the shared test engine: json-file logs, bounded or not, damaged
// logs, an engine that cannot be reached, and an engine whose files are not on this host.

import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, inject, it, onTestFinished } from 'vitest';
import { tmpdir } from 'node:os';
import { chmodSync } from 'node:fs';
import { BIN, reportJson, runWatchdog, runWatchdogAsNobody } from '../helpers/cli.js';
import { countingProxy, tcpProxy } from '../helpers/proxy.js';
import { assertValidReport } from '../helpers/report-schema.js';
import { engineNamed, runContainer, type TestEngine } from '../helpers/engine.js';

const exec = promisify(execFile);

let engine: TestEngine;
let unbounded: string;
let bounded: string;
let damaged: string;

const logPath = async (id: string): Promise<string> => (await engine.docker.getContainer(id).inspect()).LogPath;

/** Waits until a running container's log holds `lines` lines (the engine writes them
 *  asynchronously), so its size is settled before it is compared. */
async function waitForLogLines(id: string, lines: number): Promise<void> {
  const path = await logPath(id);
  for (let i = 0; i < 200; i++) {
    if (readFileSync(path, 'utf8').split('\n').length - 1 >= lines) return;
    await sleep(50);
  }
  throw new Error(`the log of ${id} never reached ${lines} lines`);
}

beforeAll(async () => {
  engine = engineNamed(inject('sharedEngineName'));
  [unbounded, bounded, damaged] = await Promise.all([
    // Still running: an unbounded log that can grow is a warning.
    runContainer(engine.docker, { name: 'logs-unbounded', cmd: ['sh', '-c', 'seq 1 2000; exec sleep 600'], detach: true }),
    // ~2.6 MB of output through a 1 MB cap: the engine rotates it into siblings.
    runContainer(engine.docker, {
      name: 'logs-bounded',
      cmd: ['sh', '-c', 'i=0; while [ $i -lt 26 ]; do head -c 100000 /dev/zero | tr "\\0" x; echo; i=$((i+1)); done'],
      logOpts: { 'max-size': '1m', 'max-file': '3' },
    }),
    // Writes 1,500 lines fast (the engine rotates the 100 kB log twice), then a line
    // every 0.1 s, so the live file is one the engine has reopened without O_APPEND.
    runContainer(engine.docker, {
      name: 'logs-damaged',
      cmd: ['sh', '-c', `i=0; while [ $i -lt 1500 ]; do echo ${'y'.repeat(100)}; i=$((i+1)); done; while true; do echo slow; usleep 100000; done`],
      logOpts: { 'max-size': '100k', 'max-file': '3' },
      detach: true,
    }),
  ]);
  await waitForLogLines(unbounded, 2000);
  const path = await logPath(damaged);
  for (let i = 0; i < 200 && !existsSync(`${path}.1`); i++) await sleep(50);
  expect(existsSync(`${path}.1`)).toBe(true);
  await sleep(300);
  // What logrotate's copytruncate does: truncate the live file from outside. The engine
  // goes on writing at its old offset, leaving a hole of NUL bytes before it.
  const before = statSync(path).size;
  truncateSync(path, 0);
  for (let i = 0; i < 100 && statSync(path).size < before; i++) await sleep(50);
});

describe('watchdog report: logs', () => {
  it('reports a json-file log with no max-size as UNBOUNDED_LOG with its exact byte count', async () => {
    const { code, report } = await reportJson(engine.host);
    const path = await logPath(unbounded);
    const entry = report.containers.find((c: any) => c.id === unbounded);
    expect(entry.log).toMatchObject({ driver: 'json-file', path, bytes: statSync(path).size, maxSizeBytes: null, bounded: false, corrupt: false });
    expect(entry.log.bytes).toBeGreaterThan(2000 * 40); // 2000 JSON lines, not an empty file
    expect(report.findings).toContainEqual(expect.objectContaining({ code: 'UNBOUNDED_LOG', severity: 'warning', containerId: unbounded }));
    expect(report.findings.filter((f: any) => f.code === 'COLLECTOR_FAILED')).toEqual([]);
    expect(code).toBe(1);
  });

  it('reports a log with max-size=1m, max-file=3 as bounded by 3 MB, counting its rotated files', async () => {
    const { report } = await reportJson(engine.host);
    const path = await logPath(bounded);
    const siblings = readdirSync(dirname(path)).filter((name) => name.startsWith(`${bounded}-json.log.`));
    expect(siblings.length).toBeGreaterThanOrEqual(1); // the engine did rotate it
    const onDisk = [path, ...siblings.map((name) => join(dirname(path), name))].reduce((sum, p) => sum + statSync(p).size, 0);
    const entry = report.containers.find((c: any) => c.id === bounded);
    expect(entry.log).toMatchObject({ bounded: true, maxSizeBytes: 1_000_000, maxFiles: 3, limitBytes: 3_000_000, bytes: onDisk, rotatedFiles: siblings.length });
    expect(report.findings.filter((f: any) => f.containerId === bounded)).toEqual([]);
  });

  it('finds the NUL bytes an outside truncation leaves in a log the engine rotates itself', async () => {
    const { report } = await reportJson(engine.host);
    expect(report.containers.find((c: any) => c.id === damaged).log.corrupt).toBe(true);
    expect(report.findings).toContainEqual(expect.objectContaining({ code: 'LOG_CORRUPT', containerId: damaged }));
  });

  it('prints a text report that names the biggest log', async () => {
    const { code, stdout, stderr } = await runWatchdog(['report', '--host', engine.host]);
    expect(stderr).toBe('');
    expect(code).toBeGreaterThanOrEqual(1);
    expect(stdout).toMatch(/^Biggest logs/m);
    expect(stdout).toMatch(/logs-bounded +exited +2\.\d+ MB +1 MB x 3/);
    expect(stdout).toMatch(/logs-unbounded +running +\d+ kB +NONE/);
    expect(stdout).toMatch(/WARNING +UNBOUNDED_LOG +logs-unbounded/);
    expect(stdout).not.toContain('\u001b['); // no colour when not on a terminal
  });
});

describe('watchdog report: engines it cannot fully see', () => {
  it('says in one sentence that the engine cannot be reached, and exits 3', async () => {
    const { code, stdout, stderr } = await runWatchdog(['report', '--host', 'unix:///nonexistent.sock']);
    expect(code).toBe(3);
    expect(stdout).toBe('');
    expect(stderr).toBe('watchdog: Cannot reach the Docker engine at unix:///nonexistent.sock (ENOENT). Is dockerd running? Set DOCKER_HOST or --host to point elsewhere.\n');
  });

  it('reports what needs local files as unavailable, not zero, when DockerRootDir is not on this host', async () => {
    // The engine reached over TCP on loopback, from a private mount namespace in which
    // its data-root is an empty tmpfs: the API answers as before, but none of its files
    // are visible, as from another host.
    const remote = await tcpProxy(`${engine.dir}/docker.sock`);
    try {
      const state = `${engine.dir}/remote-state.db`;
      const script = `mount -t tmpfs none '${engine.dir}/root' && exec '${process.execPath}' '${BIN}' report --json --host '${remote.host}' --state '${state}'`;
      const result = await exec('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script]).catch((e: any) => e);
      const report = JSON.parse(result.stdout);
      assertValidReport(report);
      expect(report.engine).toMatchObject({ local: false, sameHost: false });
      expect(report.storage).toMatchObject({ source: 'filesystem', data: null, inodes: null });
      expect(report.storage.note).toMatch(/remote/);
      const entry = report.containers.find((c: any) => c.id === unbounded);
      expect(entry.log).toMatchObject({ bytes: null, bounded: false });
      expect(report.exited).toMatchObject({ logBytes: null, footprintBytes: null });
      expect(report.exited.count).toBeGreaterThanOrEqual(1);
      expect(report.containers.every((c: any) => c.footprintBytes === null)).toBe(true);
      // What the API gives is all there: df and the log configuration.
      expect(report.usage.images.count).toBe(1);
      expect(report.findings).toContainEqual(expect.objectContaining({ code: 'UNBOUNDED_LOG', containerId: unbounded }));
      expect(report.findings.filter((f: any) => f.code === 'COLLECTOR_FAILED')).toEqual([]);
    } finally {
      await remote.close();
    }
  });

  it('still measures space and inodes for a user who may use the engine but not read its files', async () => {
    // A docker-group user on the engine's host: the socket is open to them (here through
    // a proxy socket anyone may use), DockerRootDir is not.
    const open = await countingProxy(`${engine.dir}/docker.sock`, `${engine.dir}/open.sock`);
    chmodSync(`${engine.dir}/open.sock`, 0o666);
    try {
      const state = `${tmpdir()}/wd-nobody-${process.pid}/state.db`;
      // The metrics of such a user (issue #12): written where that user may write.
      const textfiles = mkdtempSync(join(tmpdir(), 'wd-nobody-textfile-'));
      onTestFinished(() => [dirname(state), textfiles].forEach((folder) => rmSync(folder, { recursive: true, force: true })));
      chmodSync(textfiles, 0o777);
      const result = await runWatchdogAsNobody(['report', '--json', '--host', open.host, '--state', state, '--textfile', textfiles]);
      const report = JSON.parse(result.stdout);
      assertValidReport(report);
      expect(result.code).toBe(1); // the uncapped log of a running container, as for root
      expect(report.engine).toMatchObject({ local: false, sameHost: true });
      expect(report.storage.data.totalBytes).toBeGreaterThan(0);
      expect(report.storage.inodes.total).toBeGreaterThan(0);
      expect(report.exited.footprintBytes).toBeNull();
      expect(report.findings).toContainEqual(expect.objectContaining({ code: 'COLLECTOR_FAILED', message: expect.stringMatching(/is not readable by this user.*run as root$/) }));
      const metrics = readFileSync(join(textfiles, 'docker_watchdog.prom'), 'utf8');
      expect(metrics).toContain('docker_watchdog_collector_success{collector="logs"} 0\n');
      expect(metrics).toMatch(/^docker_watchdog_space_used_bytes\{space="data"\} [1-9]/m);
      expect(metrics).toMatch(/^docker_watchdog_inodes_used\{space="data"\} [1-9]/m);
      expect(metrics).not.toContain('docker_watchdog_log_bytes{');
      expect(metrics).not.toContain('docker_watchdog_exited_footprint_bytes');
    } finally {
      await open.close();
    }
  });
});
