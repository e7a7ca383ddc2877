import { mkdirSync, mkdtempSync, readdirSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { archiveFolder, checkedLogPath, pruneArchives } from '../../src/act/rotate.js';
import type { ContainerFacts } from '../../src/core/model.js';
import { logConfigFacts } from '../../src/core/logs.js';
import { planRotations } from '../../src/core/plan-rotate.js';
import { selectContainers } from '../../src/core/select.js';
import { facts, logOf } from '../helpers/facts.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'wd-rotate-'));
});

describe('checkedLogPath', () => {
  it("accepts the log in the container's own directory and refuses anything else", () => {
    const root = join(dir, 'docker');
    const own = join(root, 'containers', 'abc');
    mkdirSync(own, { recursive: true });
    writeFileSync(join(own, 'abc-json.log'), 'x');
    writeFileSync(join(dir, 'precious'), 'x');
    symlinkSync(join(dir, 'precious'), join(own, 'sneaky-json.log'));
    expect(checkedLogPath(root, 'abc', join(own, 'abc-json.log'))).toBe(join(own, 'abc-json.log'));
    expect(() => checkedLogPath(root, 'abc', join(dir, 'precious'))).toThrow(/is not inside/);
    expect(() => checkedLogPath(root, 'abc', join(own, '..', '..', '..', 'precious'))).toThrow(/is not inside/);
    // A symlink in the right place that points elsewhere is refused too.
    expect(() => checkedLogPath(root, 'abc', join(own, 'sneaky-json.log'))).toThrow(/is not inside/);
    expect(() => checkedLogPath(root, 'abc', own)).toThrow(/is not inside/);
  });
});

describe('pruneArchives', () => {
  const archive = (folder: string, name: string, bytes: number) => {
    mkdirSync(join(dir, 'logs', folder), { recursive: true });
    writeFileSync(join(dir, 'logs', folder, `${name}.json.log.gz`), Buffer.alloc(bytes));
    return join(dir, 'logs', folder, `${name}.json.log.gz`);
  };

  it('keeps the newest `keep` per container, then the budget across them, oldest first, never what was just written, never forensic bundles', () => {
    archive('web-1', '2026-11-01', 100);
    archive('web-1', '2026-11-02', 100);
    const newest = archive('web-1', '2026-11-03', 500);
    archive('db-2', '2026-10-01', 100);
    archive('db-2', '2026-11-04', 100);
    mkdirSync(join(dir, 'forensics', 'bundle'), { recursive: true });
    writeFileSync(join(dir, 'forensics', 'bundle', 'changes.tar'), Buffer.alloc(10_000));

    const removed = pruneArchives(dir, 2, 650, new Set([newest]), new Date());
    // keep 2: web-1's 11-01 goes; budget 650 of 800 left: db-2's 10-01 (oldest) goes, then 11-02.
    expect(removed).toEqual(['web-1/2026-11-01.json.log.gz', 'db-2/2026-10-01.json.log.gz', 'web-1/2026-11-02.json.log.gz']);
    expect(readdirSync(join(dir, 'logs', 'web-1'))).toEqual(['2026-11-03.json.log.gz']);
    expect(readdirSync(join(dir, 'forensics', 'bundle'))).toEqual(['changes.tar']);
  });

  it('removes partial archives a killed run left (older than 10 minutes), never one still being written (issue #9)', () => {
    const folder = join(dir, 'logs', 'web-1');
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'old.json.log.gz.partial'), Buffer.alloc(7_100));
    writeFileSync(join(folder, 'live.json.log.gz.partial'), Buffer.alloc(1_200));
    const now = new Date();
    utimesSync(join(folder, 'old.json.log.gz.partial'), new Date(now.getTime() - 11 * 60_000), new Date(now.getTime() - 11 * 60_000));

    expect(pruneArchives(dir, 5, 1e9, new Set(), now)).toEqual(['web-1/old.json.log.gz.partial']);
    expect(readdirSync(folder)).toEqual(['live.json.log.gz.partial']);
  });

  it('names folders after the container, safely', () => {
    expect(archiveFolder('/a', 'we/b<x>', '0123456789abcdef')).toBe('/a/logs/we_b_x_-0123456789ab');
  });
});

describe('planRotations', () => {
  const c = (name: string, parts: Partial<ContainerFacts>): ContainerFacts =>
    facts({ id: Buffer.from(name).toString('hex').padEnd(64, '0'), name, logConfig: logConfigFacts('json-file', {}), logFiles: logOf(200e6), ...parts });
  const containers = [
    c('big', {}),
    c('small', { logFiles: logOf(5e6) }),
    c('capped', { logConfig: logConfigFacts('json-file', { 'max-size': '10m' }) }),
    c('journald', { logConfig: logConfigFacts('journald', {}), logFiles: null }),
    c('empty', { logFiles: logOf(0) }),
  ];
  const overLimit = { overLimit: true, runningOnly: false } as const;

  it('rotates what is over logs.maxSize, and says why each other log is kept', () => {
    const plan = planRotations(containers, 100e6, overLimit);
    expect(plan.map((i) => `${i.name}: ${i.action} ${i.code}`)).toEqual(['big: rotate over-limit', 'small: keep within-limit', 'capped: keep engine-rotates', 'journald: keep not-json-file', 'empty: keep empty']);
    expect(plan.map((i) => `${i.name}: ${i.reason}`)).toEqual([
      'big: rotate: log 200 MB is over logs.maxSize 100 MB',
      'small: kept: log 5 MB is within logs.maxSize 100 MB',
      'capped: kept: the engine rotates this log itself (max-size 10 MB); truncating it would corrupt it',
      'journald: kept: log driver journald writes no json-file log here',
      'empty: kept: its log is empty',
    ]);
  });

  it('leaves stopped containers to a rotation by hand when the timer plans (runningOnly)', () => {
    const stopped = c('stopped', { state: 'exited', finishedAt: '2026-11-27T00:00:00.000Z' });
    expect(planRotations([stopped], 100e6, { overLimit: true, runningOnly: true })[0]).toMatchObject({ action: 'keep', code: 'not-running' });
    expect(planRotations([stopped], 100e6, { named: [stopped] })[0]).toMatchObject({ action: 'rotate', code: 'asked' });
  });

  it('rotates a named container whatever its size, but never a log the engine rotates itself', () => {
    const [big, small, capped] = containers;
    expect(planRotations(containers, 100e6, { named: [small!, big!, capped!] }).map((i) => [i.name, i.action, i.code])).toEqual([
      ['small', 'rotate', 'asked'],
      ['big', 'rotate', 'asked'],
      ['capped', 'keep', 'engine-rotates'],
    ]);
  });
});

describe('selectContainers', () => {
  const c = (name: string): ContainerFacts => facts({ id: Buffer.from(name).toString('hex').padEnd(64, '0'), name });
  const containers = [c('big'), c('small')];

  it('finds containers by name or id prefix, and lists the names that match none', () => {
    const bigPrefix = containers[0]!.id.slice(0, 6);
    const { found, unknown } = selectContainers(containers, ['small', bigPrefix, 'nope', 'abc']);
    expect(found.map((f) => f.name)).toEqual(['small', 'big']);
    // 'abc' is too short a prefix to be taken for an id.
    expect(unknown).toEqual(['nope', 'abc']);
  });
});
