// The Prometheus exposition (issue #12): what it holds for a report, what it leaves out,
// how it escapes, what the store adds (counters from the journal), and that Debian's
// `promtool check metrics` finds nothing to say about it.

import { spawnSync } from 'node:child_process';
import { lstatSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderMetrics, type MetricsFacts } from '../../src/core/metrics.js';
import { logConfigFacts } from '../../src/core/logs.js';
import { diskCost, isExited } from '../../src/core/model.js';
import { buildMetricsReport, buildReport } from '../../src/core/report.js';
import { writeFileDurably } from '../../src/files/durable.js';
import { appendJournal } from '../../src/state/journal.js';
import { readExposition, recordExposition, recordFullPass, storeMetrics } from '../../src/state/metrics.js';
import { openStore } from '../../src/state/store.js';
import { busyHost, NOW } from '../fixtures/snapshots.js';
import { facts, logOf } from '../helpers/facts.js';

const base = (report: MetricsFacts['report']): MetricsFacts => ({ report, version: '0.1.0', store: { lastFullPassAt: null, actions: [], undeliveredAlerts: 0 } });
const series = (text: string) => text.split('\n').filter((l) => l && !l.startsWith('#'));

function host(running: number, exited: number) {
  const containers = [
    ...Array.from({ length: running }, (_, i) => facts({ id: `r${i}`.padEnd(64, '0'), name: `svc-${i}`, state: 'running', logConfig: logConfigFacts('json-file', {}), logFiles: logOf(1000 + i, `/x/r${i}-json.log`) })),
    ...Array.from({ length: exited }, (_, i) => facts({ id: `e${i}`.padEnd(64, '0'), name: `job-${i}`, state: 'exited', finishedAt: '2026-11-27T00:00:00.000Z', logFiles: logOf(10, `/x/e${i}-json.log`), footprint: { bytes: 4096, inodes: 3 } })),
  ];
  return buildReport({ ...busyHost, containers }, []);
}

describe('the exposition', () => {
  it('has nothing per exited container, and one log series per running one', () => {
    const small = series(renderMetrics(base(host(5, 10))));
    const big = series(renderMetrics(base(host(5, 1000))));
    expect(big.length).toBe(small.length);
    expect(big).toContain('docker_watchdog_exited_containers 1000');
    const wider = series(renderMetrics(base(host(50, 10))));
    expect(wider.length - small.length).toBe(45);
    expect(wider.filter((l) => l.startsWith('docker_watchdog_log_bytes{')).length).toBe(50);
  });

  it('says the same from the report that check and the daemon build without an entry per exited container', () => {
    const snapshot = { ...busyHost, containers: [...busyHost.containers, ...Array.from({ length: 300 }, (_, i) => facts({ id: `e${i}`.padEnd(64, '0'), name: `job-${i}`, state: 'exited', logFiles: logOf(10 + i, `/x/e${i}-json.log`), footprint: i % 7 ? { bytes: 4096 * i, inodes: i } : null, sizeRwBytes: i % 3 ? 100 : null }))] };
    const whole = buildReport(snapshot, [], [], undefined, null);
    const light = buildMetricsReport(snapshot, [], [], undefined, null);
    expect(light.containers.length).toBeLessThan(whole.containers.length);
    expect(light.containers.every((c) => c.state !== 'exited')).toBe(true);
    // The exited sums, from the whole report's entries as they were summed before #14.
    const exited = whole.containers.filter((c) => isExited(c.state));
    const sum = (values: Array<number | null>) => values.reduce<number>((a, b) => a + (b ?? 0), 0);
    expect(light.exited).toEqual({
      count: exited.length,
      sizeRwBytes: sum(exited.map((c) => c.sizeRwBytes)),
      logBytes: sum(exited.map((c) => c.log.bytes)),
      footprintBytes: sum(exited.map((c) => diskCost(c.footprintBytes, c.sizeRwBytes))),
      footprintInodes: sum(exited.map((c) => c.footprintInodes)),
      footprintMeasured: exited.filter((c) => c.footprintBytes !== null).length,
    });
    expect(light.exited).toEqual(whole.exited);
    expect(renderMetrics(base(light))).toBe(renderMetrics(base(whole)));
  });

  it('leaves out what was not measured rather than saying 0', () => {
    const blind = renderMetrics(base({ ...buildReport({ ...busyHost, storage: null, usage: null, containers: [] }, []), exited: { count: 0, sizeRwBytes: null, logBytes: null, footprintBytes: null, footprintInodes: null, footprintMeasured: 0 } }));
    for (const name of ['space_used_bytes', 'inodes_used', 'usage_bytes', 'exited_footprint_bytes', 'space_full_in_seconds', 'last_full_pass_timestamp_seconds']) expect(blind).not.toContain(`docker_watchdog_${name}`);
    expect(blind).toContain('docker_watchdog_exited_containers 0');
  });

  it('counts no containers when the container list failed, and leaves out the store\'s series when the store could not be read', () => {
    const failed = buildReport(busyHost, [{ code: 'COLLECTOR_FAILED', severity: 'warning', subject: 'containers', message: 'containers: 3 of 40 inspects failed' }]);
    const text = renderMetrics({ ...base(failed), store: null });
    for (const name of ['exited_containers', 'exited_size_rw_bytes', 'exited_footprint_bytes', 'log_bytes', 'actions_total', 'alerts_undelivered', 'last_full_pass_timestamp_seconds']) expect(text).not.toContain(`docker_watchdog_${name}`);
    expect(text).toContain('docker_watchdog_collector_success{collector="containers"} 0');
    expect(text).toContain('docker_watchdog_space_used_bytes{space="data"}');
  });

  it('escapes label values and keeps timestamps to the millisecond', () => {
    const odd = buildReport({ ...busyHost, containers: [facts({ id: 'a'.repeat(64), name: 'we"ird\\name\nx', state: 'running', logFiles: logOf(5, '/x/a-json.log') })] }, []);
    const text = renderMetrics(base(odd));
    expect(text).toContain('docker_watchdog_log_bytes{container="we\\"ird\\\\name\\nx",container_id="aaaaaaaaaaaa",bounded="yes"} 5');
    expect(text).toContain(`docker_watchdog_last_run_timestamp_seconds ${NOW.getTime() / 1000}`);
  });

  it('counts actions from the journal, with the usual ones at 0 from the start', () => {
    const text = renderMetrics({ ...base(host(1, 1)), store: { lastFullPassAt: null, actions: [{ action: 'prune', outcome: 'done', count: 7 }], undeliveredAlerts: 0 } });
    expect(text).toContain('docker_watchdog_actions_total{action="prune",outcome="done"} 7');
    expect(text).toContain('docker_watchdog_actions_total{action="rotate",outcome="failed"} 0');
    expect(text).toContain('# TYPE docker_watchdog_actions_total counter');
  });

  it('passes promtool check metrics (Debian package prometheus)', () => {
    const text = readFileSync(new URL('../golden/metrics.prom', import.meta.url), 'utf8');
    const lint = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    if (lint.error) throw new Error(`promtool could not run (${(lint.error as NodeJS.ErrnoException).code}): install Debian's prometheus package, which has it.`);
    expect({ status: lint.status, out: lint.stdout + lint.stderr }).toEqual({ status: 0, out: '' });
  });
});

describe('the store behind the metrics', () => {
  it('counts what was done, never dry runs or the reasons a container was kept, and keeps the last exposition', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wd-metrics-'));
    const { db } = openStore(join(dir, 'state.db'), () => {}, NOW);
    const entry = (action: string, outcome: 'done' | 'dry-run' | 'skipped' | 'failed') => appendJournal(db, { at: NOW.toISOString(), action, target: 'x', containerId: null, reason: 'r', outcome, bytesFreed: null, details: null });
    entry('prune', 'done');
    entry('prune', 'done');
    entry('prune', 'dry-run');
    entry('keep', 'skipped');
    entry('rotate', 'failed');
    recordFullPass(db, NOW);
    recordExposition(db, 'docker_watchdog_info 1\n');
    const found = storeMetrics(db)!;
    expect(found.actions.sort((a, b) => a.action.localeCompare(b.action))).toEqual([
      { action: 'prune', outcome: 'done', count: 2 },
      { action: 'rotate', outcome: 'failed', count: 1 },
    ]);
    expect(found.lastFullPassAt).toBe(NOW.toISOString());
    expect(found.undeliveredAlerts).toBe(0);
    expect(readExposition(db)).toBe('docker_watchdog_info 1\n');
    db.close();
  });

  it('has nothing to say for a store held in memory', () => {
    const { db } = openStore(':memory:', () => {}, NOW);
    expect(storeMetrics(db)).toBeNull();
    db.close();
  });

  it('replaces a link planted at the textfile\'s name instead of writing through it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wd-textfile-link-'));
    writeFileSync(join(dir, 'victim'), 'precious\n');
    symlinkSync(join(dir, 'victim'), join(dir, 'docker_watchdog.prom'));
    writeFileDurably(join(dir, 'docker_watchdog.prom'), 'a 1\n');
    expect(readFileSync(join(dir, 'victim'), 'utf8')).toBe('precious\n');
    expect(lstatSync(join(dir, 'docker_watchdog.prom')).isFile()).toBe(true);
    expect(statSync(join(dir, 'docker_watchdog.prom')).mode & 0o777).toBe(0o644);
  });

  it('writes the textfile whole, leaving no temporary file behind', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wd-textfile-'));
    writeFileDurably(join(dir, 'docker_watchdog.prom'), 'a 1\n');
    writeFileDurably(join(dir, 'docker_watchdog.prom'), 'a 2\n');
    expect(readdirSync(dir)).toEqual(['docker_watchdog.prom']);
    expect(readFileSync(join(dir, 'docker_watchdog.prom'), 'utf8')).toBe('a 2\n');
  });
});

describe('collector_success', () => {
  it('is 0 for a collector that failed in its timing or only in a finding (logs without root), 1 for the rest', () => {
    const report = buildReport(busyHost, [{ code: 'COLLECTOR_FAILED', severity: 'warning', subject: 'logs', message: 'logs: /var/lib/docker is not readable by this user' }], [
      { collector: 'engine', seconds: 0.01, ok: true },
      { collector: 'usage', seconds: 0.5, ok: false },
    ]);
    const text = renderMetrics(base(report));
    expect(series(text).filter((l) => l.startsWith('docker_watchdog_collector_success'))).toEqual([
      'docker_watchdog_collector_success{collector="engine"} 1',
      'docker_watchdog_collector_success{collector="usage"} 0',
      'docker_watchdog_collector_success{collector="logs"} 0',
    ]);
  });
});
