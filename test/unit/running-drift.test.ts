// RUNNING_DRIFT (issue #13): which running containers are due for a `docker diff`, the
// finding of a suspicious check, the plan (bundle, pause) and the state store's record.

import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { withSeverities } from '../../src/core/audit.js';
import { decideAlerts } from '../../src/core/alerts.js';
import { containerDrift, type Change } from '../../src/core/drift.js';
import { dueForDriftCheck, outsideKey, planRunningDrift, runningDriftCheck, runningDriftFinding, runningDriftFindings, WRITTEN_CAP } from '../../src/core/running-drift.js';
import { earlierOutsideSet, lastRunningDriftCheck, lastRunningDriftChecks, recordRunningDriftCheck, runningDriftHistory, runningDriftWrites, thinRunningDrift } from '../../src/state/running-drift.js';
import { openStore } from '../../src/state/store.js';

const NOW = new Date('2026-11-29T12:00:00.000Z');
const HOUR = 3_600_000;
const ALLOW = ['/tmp/**', '/run/**', '/var/run/**', '/var/tmp/**'];
const box = (id: string, state = 'running', readonlyRootfs = false) => ({ id, name: `c-${id}`, state, readonlyRootfs, labels: {} as Record<string, string> });
const ago = (ms: number) => new Date(NOW.getTime() - ms).toISOString();
const added = (...paths: string[]): Change[] => paths.map((path) => ({ path, kind: 'added' }));

function checkOf(changes: Change[], options: { id?: string; at?: Date; durationMs?: number; bundle?: string | null; labels?: Record<string, string> } = {}) {
  const c = { ...box(options.id ?? 'a'), labels: options.labels ?? {} };
  return runningDriftCheck(c, changes, containerDrift(changes, c, ALLOW), options.at ?? NOW, options.durationMs ?? 42.25, options.bundle ?? null);
}

describe('dueForDriftCheck', () => {
  it('takes running containers never checked first, then the oldest checks; skips those checked within the interval', () => {
    const containers = [box('recent'), box('old'), box('never'), box('older'), box('exact')];
    const last = new Map([
      ['recent', ago(HOUR - 1)],
      ['old', ago(2 * HOUR)],
      ['older', ago(5 * HOUR)],
      ['exact', ago(HOUR)],
    ]);
    expect(dueForDriftCheck(containers, last, NOW, HOUR).map((c) => c.id)).toEqual(['never', 'older', 'old', 'exact']);
  });

  it('never takes exited, paused or read-only containers; takes one whose check is dated in the future', () => {
    const containers = [box('exited', 'exited'), box('paused', 'paused'), box('ro', 'running', true), box('future'), box('created', 'created')];
    const last = new Map([['future', new Date(NOW.getTime() + HOUR).toISOString()]]);
    expect(dueForDriftCheck(containers, last, NOW, HOUR).map((c) => c.id)).toEqual(['future']);
  });
});

describe('the RUNNING_DRIFT finding', () => {
  it('is critical for a system path, with the first three changes, the rest counted, the cost and the fix', () => {
    const check = checkOf(added('/data/1', '/etc/evil', '/data/2', '/data/3', '/tmp/ok'), { bundle: '/archive/forensics/c-a-a-running-x' });
    expect(check).toMatchObject({ status: 'suspicious', changes: 5, outsideCount: 4, criticalCount: 1, durationMs: 42.3 });
    const finding = runningDriftFinding(check)!;
    expect(finding).toMatchObject({ code: 'RUNNING_DRIFT', severity: 'critical', containerId: 'a', subject: 'c-a' });
    expect(finding.message).toBe(
      'c-a: running, it changed system paths: A /etc/evil, A /data/1, A /data/2 and 1 more (docker diff at 2026-11-29T12:00:00.000Z, 5 changes, took 42 ms); look at its forensic bundle /archive/forensics/c-a-a-running-x, then stop it and re-create it from its image, or if these writes are legitimate add the paths to drift.allow or its watchdog.drift.allow label',
    );
  });

  it('is a warning outside system paths, none for a clean check or one only in allowed paths or its label', () => {
    expect(runningDriftFinding(checkOf(added('/data/x')))?.severity).toBe('warning');
    expect(runningDriftFinding(checkOf(added('/tmp/x', '/run/y')))).toBeNull();
    expect(runningDriftFinding(checkOf([]))).toBeNull();
    expect(runningDriftFinding(checkOf(added('/data/x'), { labels: { 'watchdog.drift.allow': '/data/**' } }))).toBeNull();
  });

  it('comes from the last check of containers still there (one stopped since keeps it: its layer is still there), and audit.severity overrides it', () => {
    const last = new Map([
      ['a', checkOf(added('/etc/evil'), { id: 'a' })],
      ['b', checkOf(added('/etc/evil'), { id: 'b' })],
      ['c', checkOf(added('/tmp/x'), { id: 'c' })],
    ]);
    const found = runningDriftFindings(last, [box('a'), box('b', 'exited'), box('c'), box('d')]);
    expect(found.map((f) => `${f.containerId}:${f.severity}`)).toEqual(['a:critical', 'b:critical']);
    expect(found[1]!.message).toMatch(/^c-b: while it ran, it changed system paths: A \/etc\/evil/);
    expect(withSeverities(found, { RUNNING_DRIFT: 'warning' })[0]!.severity).toBe('warning');
    expect(decideAlerts([], found, NOW.getTime(), HOUR).notify.map((n) => `${n.key}:${n.level}`)).toEqual(['running-drift:a:critical', 'running-drift:b:critical']);
  });

  it('keeps what the container wrote (not the ancestors docker diff lists), capped', () => {
    const changes: Change[] = [{ path: '/var', kind: 'modified' }, { path: '/var/lib', kind: 'modified' }, { path: '/var/lib/app', kind: 'added' }, { path: '/etc/hosts', kind: 'modified' }];
    expect(checkOf(changes).written).toEqual([{ path: '/var/lib/app', kind: 'added' }, { path: '/etc/hosts', kind: 'modified' }]);
    const many = added(...Array.from({ length: WRITTEN_CAP + 5 }, (_, i) => `/data/${i}`));
    const big = checkOf(many);
    expect([big.written.length, big.writtenCount, big.outsideCount]).toEqual([WRITTEN_CAP, WRITTEN_CAP + 5, WRITTEN_CAP + 5]);
  });
});

describe('the plan of a suspicious running container', () => {
  it('a bundle for a new set of outside paths, a pause only with onSuspiciousRunning pause and only once per set', () => {
    const check = checkOf(added('/etc/evil'));
    expect(planRunningDrift(check, { seen: false, bundle: null }, 'alert')).toMatchObject({ bundle: true, pause: false, reason: 'running, it changed 1 system path' });
    expect(planRunningDrift(check, { seen: false, bundle: null }, 'pause')).toMatchObject({ bundle: true, pause: true, reason: 'running, it changed 1 system path (drift.onSuspiciousRunning: pause)' });
    expect(planRunningDrift(check, { seen: true, bundle: '/b' }, 'pause')).toBeNull();
    // A bundle that failed last time is tried again; the pause is not repeated.
    expect(planRunningDrift(check, { seen: true, bundle: null }, 'pause')).toMatchObject({ bundle: true, pause: false });
    expect(planRunningDrift(checkOf(added('/tmp/x')), { seen: false, bundle: null }, 'pause')).toBeNull();
  });

  it('the same set of outside paths has the same key, in any order; a new path a new key', () => {
    expect(outsideKey(added('/etc/a', '/etc/b'))).toBe(outsideKey(added('/etc/b', '/etc/a')));
    expect(outsideKey(added('/etc/a', '/etc/b'))).not.toBe(outsideKey(added('/etc/a', '/etc/c')));
    expect(outsideKey([])).toBeNull();
  });
});

describe('the state store of running-drift checks', () => {
  const store = () => openStore(':memory:', () => {}, NOW).db as InstanceType<typeof Database>;

  it('keeps each check: the last per container, the history, the union of what was written, the earlier bundle of the same drift', () => {
    const db = store();
    recordRunningDriftCheck(db, checkOf(added('/etc/evil'), { id: 'a', at: new Date(NOW.getTime() - 2 * HOUR), bundle: '/b1' }));
    recordRunningDriftCheck(db, checkOf([...added('/etc/evil', '/data/x'), { path: '/etc', kind: 'modified' }], { id: 'a', at: new Date(NOW.getTime() - HOUR) }));
    recordRunningDriftCheck(db, checkOf(added('/tmp/x'), { id: 'b' }));
    expect([...lastRunningDriftChecks(db).keys()].sort()).toEqual(['a', 'b']);
    expect(lastRunningDriftCheck(db, 'a')).toMatchObject({ checkedAt: ago(HOUR), outsideCount: 2, status: 'suspicious' });
    expect(lastRunningDriftCheck(db, 'z')).toBeNull();
    expect(runningDriftHistory(db, 'a').map((c) => c.checkedAt)).toEqual([ago(HOUR), ago(2 * HOUR)]);
    expect(runningDriftWrites(db, 'a')).toEqual({
      containerId: 'a',
      firstCheckedAt: ago(2 * HOUR),
      lastCheckedAt: ago(HOUR),
      checks: 2,
      written: added('/data/x', '/etc/evil'),
      truncated: false,
    });
    expect(earlierOutsideSet(db, 'a', outsideKey(added('/etc/evil')))).toEqual({ seen: true, bundle: '/b1' });
    expect(earlierOutsideSet(db, 'a', outsideKey(added('/etc/other')))).toEqual({ seen: false, bundle: null });
  });

  it('thins to the last checks of each container and forgets removed containers', () => {
    const db = store();
    for (let i = 0; i < 5; i++) recordRunningDriftCheck(db, checkOf([], { id: 'a', at: new Date(NOW.getTime() - i * HOUR) }));
    recordRunningDriftCheck(db, checkOf([], { id: 'gone' }));
    thinRunningDrift(db, ['a'], 3);
    expect(runningDriftHistory(db, 'a').map((c) => c.checkedAt)).toEqual([ago(0), ago(HOUR), ago(2 * HOUR)]);
    expect(runningDriftHistory(db, 'gone')).toEqual([]);
    // An incomplete container list removes nobody.
    recordRunningDriftCheck(db, checkOf([], { id: 'other' }));
    thinRunningDrift(db, null, 3);
    expect(runningDriftHistory(db, 'other')).toHaveLength(1);
  });
});
