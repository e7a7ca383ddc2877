// What users read, pinned by golden files (test/golden/): the JSON and text reports
// (with and without colour), the Prometheus metrics, the `prune --dry-run` table, the `check` output (news, and
// the dry run) and an alert email, all rendered from the known busy host of
// test/fixtures/snapshots.ts, with no engine. A change to any of them shows as a diff
// of these files; `npm run golden` rewrites them after a change that is meant.

import { describe, expect, it } from 'vitest';
import { actionFindings, pruneActions, rotationActions, type Pruning, type Rotation } from '../../src/core/actions.js';
import { alertContext, composeDigest, decideAlerts } from '../../src/core/alerts.js';
import { evaluate, sortFindings } from '../../src/core/evaluate.js';
import { containerDrift, driftFindings, type Change } from '../../src/core/drift.js';
import { planRunningDrift, runningDriftCheck, runningDriftFinding } from '../../src/core/running-drift.js';
import { profileFinding, readOnlyProfiles } from '../../src/core/readonly-profile.js';
import { decidePrune, pressureOf, pruneCandidates } from '../../src/core/plan-prune.js';
import { planRotations } from '../../src/core/plan-rotate.js';
import { renderCheck, renderPruning } from '../../src/core/render/actions.js';
import { renderMetrics } from '../../src/core/metrics.js';
import { renderText } from '../../src/core/render/report.js';
import { buildReport } from '../../src/core/report.js';
import { runawayFindings } from '../../src/core/runaway.js';
import { filesystemInodes, filesystemSpace } from '../../src/core/storage.js';
import { trendsOf } from '../../src/core/trends.js';
import { auditedHost, busyDrift, busyHistory, busyHost, idOf, NOW } from '../fixtures/snapshots.js';
import { auditFindings } from '../../src/core/audit.js';
import { renderAudit } from '../../src/core/render/audit.js';
import { auditOutputSchema } from '../../src/core/report-schema.js';
import { DEFAULTS } from '../helpers/policy.js';
import { assertValidReport } from '../helpers/report-schema.js';

const golden = (name: string) => `../golden/${name}`;
const filesystemFigures = (stats: Parameters<typeof filesystemSpace>[0]) => ({ data: filesystemSpace(stats), inodes: filesystemInodes(stats) });
const policy = { ...DEFAULTS, containers: { exited: { ...DEFAULTS.containers.exited, protect: ['db-*'] } } };

const trends = trendsOf(busyHost, busyHistory, NOW.getTime());
const findings = evaluate(busyHost, policy, trends);
const timings = [
  { collector: 'engine', seconds: 0.012, ok: true },
  { collector: 'usage', seconds: 0, ok: true, measured: 0, cached: 1 },
  { collector: 'containers', seconds: 0.041, ok: true, measured: 2, cached: 30 },
  { collector: 'storage', seconds: 0.001, ok: true },
  { collector: 'logs', seconds: 0.002, ok: true, measured: 3, cached: 29 },
  { collector: 'footprint', seconds: 0, ok: true, measured: 0, cached: 30 },
];
const report = buildReport(busyHost, findings, timings, trends);

const candidates = pruneCandidates(busyHost.containers, policy.containers.exited, pressureOf(findings), policy.escalation, NOW.getTime());
const plan = decidePrune(candidates, busyDrift(), policy.drift);
const byName = (name: string) => plan.find((i) => i.name === name)!;

/** What applying that plan did: the backfill went, the intruder was held with its new
 *  bundle, one removal failed, the web log was rotated. */
const pruning: Pruning = {
  plan,
  results: [
    { containerId: idOf('backfill'), name: 'backfill', outcome: 'done', message: 'removed', bytesFreed: byName('backfill').footprintBytes, bundle: null, newBundle: false },
    { containerId: idOf('intruder'), name: 'intruder', outcome: 'held', message: 'held; forensic bundle in /var/lib/docker-watchdog/archive/forensics/intruder-5d9b2e1a7c40-2026-11-26T16-55-27-234Z', bytesFreed: null, bundle: '/var/lib/docker-watchdog/archive/forensics/intruder-5d9b2e1a7c40-2026-11-26T16-55-27-234Z', newBundle: true },
    { containerId: idOf('job-7'), name: 'job-7', outcome: 'failed', message: 'failed: The engine answered 409 to DELETE /containers/…: removal of container is already in progress', bytesFreed: null, bundle: null, newBundle: false },
  ],
};
const rotation: Rotation = {
  plan: planRotations(busyHost.containers, policy.logs.maxSize, { overLimit: true, runningOnly: true }),
  results: [{ containerId: idOf('web'), name: 'web', outcome: 'done', code: 'rotated', message: 'rotated into /var/lib/docker-watchdog/archive/logs/web-0d9f3c1b2a4e/2026-11-28T18-55-27-234Z.json.log.gz, paused 78 ms', archive: '/var/lib/docker-watchdog/archive/logs/web-0d9f3c1b2a4e/2026-11-28T18-55-27-234Z.json.log.gz', bytesArchived: 120_000_000, pauseMs: 78 }],
  archivesRemoved: ['web-0d9f3c1b2a4e/2026-11-21T18-55-27-234Z.json.log.gz'],
};
const actions = [...rotationActions(rotation.results), ...pruneActions(pruning.results)];
const checkFindings = sortFindings([...findings, ...driftFindings(plan), ...actionFindings(actions)]);

describe('golden files', () => {
  it('the JSON report, which also matches the published schema', async () => {
    assertValidReport(JSON.parse(JSON.stringify(report)));
    await expect(`${JSON.stringify(report, null, 2)}\n`).toMatchFileSnapshot(golden('report.json'));
  });

  it('the text report, plain and in colour', async () => {
    await expect(renderText(report, { color: false, now: NOW, top: 5, history: busyHistory })).toMatchFileSnapshot(golden('report.txt'));
    await expect(renderText(report, { color: true, now: NOW, top: 5, history: busyHistory })).toMatchFileSnapshot(golden('report-color.txt'));
  });

  it('the text report of an engine on the containerd image store, its snapshots on a filesystem of their own', async () => {
    const snapshotter = '/srv/containerd/io.containerd.snapshotter.v1.overlayfs';
    const onContainerd = {
      ...busyHost,
      engine: { ...busyHost.engine!, storageDriver: 'overlayfs', containerdImageStore: true },
      storage: {
        ...busyHost.storage!,
        imageStore: { path: snapshotter, ...filesystemFigures({ bsize: 4096, blocks: 2_441_406, bfree: 610_351, bavail: 610_351, files: 655_360, ffree: 600_000 }) },
      },
    };
    const containerdFindings = evaluate(onContainerd, policy, trends);
    const containerdReport = buildReport(onContainerd, containerdFindings, timings, trends);
    assertValidReport(JSON.parse(JSON.stringify(containerdReport)));
    await expect(renderText(containerdReport, { color: false, now: NOW, top: 5, history: busyHistory })).toMatchFileSnapshot(golden('report-containerd.txt'));
  });

  it('the text report and the alert email of a host the daemon watches, with a runaway log (issue #11)', async () => {
    const web = busyHost.containers.find((c) => c.name === 'web')!;
    const perTenSeconds = (bytesPerSecond: number) => Array.from({ length: 7 }, (_, i) => ({ at: NOW.getTime() - 60_000 + i * 10_000, value: bytesPerSecond * i * 10 }));
    const available = busyHost.storage!.data!.availableBytes;
    const runaway = runawayFindings({ now: NOW.getTime(), horizonMs: DEFAULTS.watch.horizon, space: { name: 'data', availableBytes: available, points: perTenSeconds(1e6) }, logs: [{ containerId: web.id, name: web.name, points: perTenSeconds(1e6) }] });
    expect(runaway.map((f) => f.code)).toEqual(['RUNAWAY_LOG']);
    const watchedFindings = sortFindings([...findings, ...runaway]);
    const daemon = { pid: 4242, since: '2026-11-28T06:00:00.000Z', lastFullPassAt: new Date(NOW.getTime() - 120_000).toISOString(), polledLogs: 3 };
    const watched = buildReport(busyHost, watchedFindings, timings, trends, daemon);
    assertValidReport(JSON.parse(JSON.stringify(watched)));
    await expect(renderText(watched, { color: false, now: NOW, top: 5, history: busyHistory })).toMatchFileSnapshot(golden('report-watched.txt'));
    const { notify } = decideAlerts([], watchedFindings, NOW.getTime(), DEFAULTS.alerts.cooldown);
    const digest = composeDigest({ prefix: '[docker-watchdog]', host: busyHost.engine!.hostName, notifications: notify, actions: [], context: alertContext(busyHost, trends), now: NOW });
    await expect(`Subject: ${digest.subject}\n\n${digest.body}`).toMatchFileSnapshot(golden('alert-runaway.txt'));
    // The same host as Prometheus scrapes it (issue #12), with a journal behind it.
    const actions = [
      { action: 'rotate', outcome: 'done', count: 41 },
      { action: 'prune', outcome: 'done', count: 1204 },
      { action: 'prune', outcome: 'failed', count: 2 },
      { action: 'hold', outcome: 'skipped', count: 3 },
      { action: 'bundle', outcome: 'done', count: 1 },
    ];
    await expect(renderMetrics({ report: watched, version: '0.1.0', store: { lastFullPassAt: daemon.lastFullPassAt, actions, undeliveredAlerts: 1 } })).toMatchFileSnapshot(golden('metrics.prom'));
  });

  it('the prune --dry-run table', async () => {
    await expect(renderPruning({ plan, results: [] }, [], driftFindings(plan), true)).toMatchFileSnapshot(golden('prune-dry-run.txt'));
  });

  it('the check output: news only, and the plans of a dry run', async () => {
    await expect(renderCheck({ rotation, pruning, actions, findings: checkFindings, dryRun: false, daemon: null, maxSize: policy.logs.maxSize, top: 5 })).toMatchFileSnapshot(golden('check.txt'));
    const dry = { plan: rotation.plan, results: [], archivesRemoved: [] };
    await expect(renderCheck({ rotation: dry, pruning: { plan, results: [] }, actions: [], findings, dryRun: true, daemon: null, maxSize: policy.logs.maxSize, top: 5 })).toMatchFileSnapshot(golden('check-dry-run.txt'));
  });

  it('the check output of a dry run with running-drift checks (RUNNING_DRIFT, issue #13)', async () => {
    const box = { id: idOf('shell'), name: 'shell', readonlyRootfs: false, labels: {} };
    const changes: Change[] = [{ path: '/etc', kind: 'modified' }, { path: '/etc/evil', kind: 'added' }, { path: '/tmp/x', kind: 'added' }];
    const suspicious = runningDriftCheck(box, changes, containerDrift(changes, box, policy.drift.allow), NOW, 38.4, null);
    const clean = runningDriftCheck({ ...box, id: idOf('web'), name: 'web' }, [], containerDrift([], box, policy.drift.allow), NOW, 4.2, null);
    const plan = [planRunningDrift(suspicious, { seen: false, bundle: null }, 'pause')!];
    const drifted = [runningDriftFinding(suspicious)!];
    await expect(renderCheck({ rotation: null, pruning: { plan: [], results: [] }, actions: [], findings: drifted, dryRun: true, daemon: null, maxSize: policy.logs.maxSize, top: 5, runningDrift: { checks: [suspicious, clean], plan } })).toMatchFileSnapshot(
      golden('check-running-drift.txt'),
    );
  });

  it('watchdog audit, text and JSON, and the report of the same host (issue #13)', async () => {
    // WRITABLE_ROOTFS: ci-runner's recorded checks saw it write only /tmp and a /run/app it made.
    const ciRunner = auditedHost.containers.find((c) => c.name === 'ci-runner')!;
    const written = [{ path: '/tmp', kind: 'modified' as const }, { path: '/tmp/build.log', kind: 'added' as const }, { path: '/run/app', kind: 'added' as const }, { path: '/run/app/pid', kind: 'added' as const }];
    const profiles = readOnlyProfiles(auditedHost.containers, (id) => (id === ciRunner.id ? { checks: 3, since: '2026-11-28T16:55:27.234Z', changes: written, truncated: false } : null));
    const found = sortFindings([...auditFindings(auditedHost, policy.audit), ...profiles.map(profileFinding)]);
    const view = { generatedAt: NOW.toISOString(), engine: auditedHost.engine, audit: auditedHost.audit, host: true, containers: auditedHost.containers.length, findings: found };
    await expect(renderAudit(view, false)).toMatchFileSnapshot(golden('audit.txt'));
    const json = { schemaVersion: 1, generatedAt: view.generatedAt, engine: view.engine, host: true, containers: view.containers, runningDrift: [], profiles, findings: found };
    expect(auditOutputSchema.parse(json)).toEqual(json);
    await expect(`${JSON.stringify(json, null, 2)}\n`).toMatchFileSnapshot(golden('audit.json'));
    // Named containers: no host part.
    const named = sortFindings(auditFindings(auditedHost, policy.audit, auditedHost.containers.filter((c) => c.name === 'debug'), false));
    await expect(renderAudit({ ...view, audit: undefined, host: false, containers: 1, findings: named }, false)).toMatchFileSnapshot(golden('audit-named.txt'));
    // In the report, with the busy host's other findings: UNBOUNDED_LOG points to daemon.json.
    const audited = buildReport(auditedHost, evaluate(auditedHost, policy, trends), timings, trends);
    assertValidReport(JSON.parse(JSON.stringify(audited)));
    await expect(renderText(audited, { color: false, now: NOW, top: 5, history: busyHistory })).toMatchFileSnapshot(golden('report-audit.txt'));
  });

  it('the alert email', async () => {
    const { notify } = decideAlerts([], checkFindings, NOW.getTime(), DEFAULTS.alerts.cooldown);
    const digest = composeDigest({ prefix: '[docker-watchdog]', host: busyHost.engine!.hostName, notifications: notify, actions, context: alertContext(busyHost, trends), now: NOW });
    await expect(`Subject: ${digest.subject}\n\n${digest.body}`).toMatchFileSnapshot(golden('alert-email.txt'));
  });
});
