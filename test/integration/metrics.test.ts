// The metrics on a real engine (issue #12): `report --textfile` writes an exposition
// that promtool accepts and that says what the JSON report of the same run says;
// `watchdog metrics` prints it again without the engine; `check --textfile` counts what
// it did, once; a bad --textfile is refused, and one that cannot be written is a
// warning that costs nothing else. (The daemon's --listen: fleet.test.ts.)

import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_OFF, runWatchdog } from '../helpers/cli.js';
import { runContainer, startEngine, type TestEngine } from '../helpers/engine.js';

let engine: TestEngine;
let state: string;
let config: string;
let textfiles: string;
let svc: string;

/** The value of one series of an exposition, by its name and labels as written. */
function valueOf(text: string, series: string): number | null {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : null;
}

beforeAll(async () => {
  engine = await startEngine('metrics', 256);
  state = `${engine.dir}/state.db`;
  textfiles = `${engine.dir}/textfile`;
  mkdirSync(textfiles);
  config = `${engine.dir}/metrics.yaml`;
  writeFileSync(config, `${AUDIT_OFF}containers:\n  exited:\n    maxAge: 2s\n    keepLast: 0\nlogs:\n  archiveDir: ${engine.dir}/archive\n`);
  svc = await runContainer(engine.docker, { name: 'svc', cmd: ['sh', '-c', 'seq 1 500; exec sleep 600'], detach: true });
  await runContainer(engine.docker, { name: 'job-a', cmd: ['sh', '-c', 'echo a > /tmp/a'] });
  await runContainer(engine.docker, { name: 'job-b', cmd: ['sh', '-c', 'echo b > /tmp/b'] });
  // Changed a file outside drift.allow: held, not pruned.
  await runContainer(engine.docker, { name: 'intruder', cmd: ['sh', '-c', 'echo x >> /etc/passwd'] });
});

afterAll(async () => {
  await engine?.stop();
});

const args = (...rest: string[]) => [...rest, '--host', engine.host, '--state', state, '-c', config];

describe('metrics on a real engine', () => {
  it('report --textfile writes, whole and readable, what the JSON report of the same run says, and promtool accepts it', async () => {
    const run = await runWatchdog(args('report', '--json', '--textfile', textfiles));
    expect(run.stderr).toBe('');
    const report = JSON.parse(run.stdout);
    expect(readdirSync(textfiles)).toEqual(['docker_watchdog.prom']);
    expect(statSync(join(textfiles, 'docker_watchdog.prom')).mode & 0o777).toBe(0o644);
    const text = readFileSync(join(textfiles, 'docker_watchdog.prom'), 'utf8');

    const lint = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect({ status: lint.status, out: lint.stdout + lint.stderr, error: lint.error?.message }).toEqual({ status: 0, out: '', error: undefined });

    expect(valueOf(text, 'docker_watchdog_exited_containers')).toBe(3);
    expect(valueOf(text, 'docker_watchdog_exited_containers')).toBe(report.exited.count);
    expect(valueOf(text, 'docker_watchdog_exited_footprint_bytes')).toBe(report.exited.footprintBytes);
    expect(valueOf(text, 'docker_watchdog_space_used_bytes{space="data"}')).toBe(report.storage.data.usedBytes);
    expect(valueOf(text, 'docker_watchdog_inodes_capacity{space="data"}')).toBe(report.storage.inodes.total);
    const svcLog = report.containers.find((c: { id: string }) => c.id === svc).log.bytes;
    expect(valueOf(text, `docker_watchdog_log_bytes{container="svc",container_id="${svc.slice(0, 12)}",bounded="no"}`)).toBe(svcLog);
    expect(text).toContain(`engine_version="${report.engine.serverVersion}"`);
    // Nothing per exited container.
    expect(text).not.toContain('job-a');
    expect(valueOf(text, 'docker_watchdog_last_run_timestamp_seconds')).toBe(Date.parse(report.generatedAt) / 1000);
    // A report acts on nothing: there was no full pass.
    expect(text).not.toContain('docker_watchdog_last_full_pass_timestamp_seconds');
  });

  it('watchdog metrics prints the last run again, from the store alone', async () => {
    const written = readFileSync(join(textfiles, 'docker_watchdog.prom'), 'utf8');
    const run = await runWatchdog(['metrics', '--state', state, '--host', 'unix:///nonexistent/docker.sock']);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(written);
  });

  it('check --textfile counts what it did once, and a dry run counts nothing', async () => {
    await sleep(2500);
    const dry = await runWatchdog(args('check', '--dry-run', '--textfile', textfiles));
    const dryText = readFileSync(join(textfiles, 'docker_watchdog.prom'), 'utf8');
    expect(dry.stderr).toBe('');
    expect(valueOf(dryText, 'docker_watchdog_actions_total{action="prune",outcome="done"}')).toBe(0);
    expect(dryText).not.toContain('docker_watchdog_last_full_pass_timestamp_seconds');

    const first = await runWatchdog(args('check', '--textfile', textfiles));
    expect(first.stderr).toBe('');
    expect(first.code).toBe(2);
    const text = readFileSync(join(textfiles, 'docker_watchdog.prom'), 'utf8');
    expect(valueOf(text, 'docker_watchdog_actions_total{action="prune",outcome="done"}')).toBe(2);
    expect(valueOf(text, 'docker_watchdog_actions_total{action="hold",outcome="skipped"}')).toBe(1);
    expect(valueOf(text, 'docker_watchdog_findings{code="DRIFT_SUSPICIOUS",severity="critical"}')).toBe(1);
    expect(valueOf(text, 'docker_watchdog_last_full_pass_timestamp_seconds')).toBe(valueOf(text, 'docker_watchdog_last_run_timestamp_seconds'));
    // The metrics were taken before the prune: the next run shows the containers gone.
    await runWatchdog(args('check', '--textfile', textfiles));
    const after = readFileSync(join(textfiles, 'docker_watchdog.prom'), 'utf8');
    expect(valueOf(after, 'docker_watchdog_actions_total{action="prune",outcome="done"}')).toBe(2);
    expect(valueOf(after, 'docker_watchdog_exited_containers')).toBe(1);
  });

  it('refuses a --textfile that is not a folder, in one sentence, before it runs', async () => {
    const missing = await runWatchdog(args('report', '--textfile', `${engine.dir}/no-such-dir`));
    expect(missing.code).toBe(64);
    expect(missing.stdout).toBe('');
    expect(missing.stderr.trim().split('\n')).toEqual([`watchdog: --textfile "${engine.dir}/no-such-dir" cannot be used (ENOENT); name node_exporter's --collector.textfile.directory, which must exist.`]);
    const file = await runWatchdog(args('check', '--textfile', config));
    expect(file.code).toBe(64);
    expect(file.stderr).toContain('is not a folder');
  });

  it('a textfile that cannot be written is a warning, and the report is still whole', async () => {
    const blocked = `${engine.dir}/blocked`;
    // Its name is taken by a folder: the rename cannot replace it.
    mkdirSync(join(blocked, 'docker_watchdog.prom'), { recursive: true });
    const run = await runWatchdog(args('report', '--json', '--textfile', blocked));
    const report = JSON.parse(run.stdout);
    const failed = report.findings.find((f: { code: string; subject?: string }) => f.code === 'ACTION_FAILED' && f.subject === join(blocked, 'docker_watchdog.prom'));
    expect(failed).toMatchObject({ severity: 'warning' });
    expect(failed.message).toContain('EISDIR');
    expect(run.code).toBeGreaterThanOrEqual(1);
    expect(readdirSync(blocked)).toEqual(['docker_watchdog.prom']);
    expect(report.containers.length).toBeGreaterThan(0);
  });
});
