import { describe, expect, it } from 'vitest';
import { evaluate as evaluateWith } from '../../src/core/evaluate.js';
import type { Finding, Snapshot, Storage } from '../../src/core/model.js';
import { exitCodeOf } from '../../src/core/outcome.js';
import type { Trends } from '../../src/core/trends.js';
import { DEFAULTS } from '../helpers/policy.js';
import { facts } from '../helpers/facts.js';
import { logConfigFacts } from '../../src/core/logs.js';
import { filesystemStorage, thinPoolStorage, zfsStorage, type DriverStatus } from '../../src/core/storage.js';
import { readFileSync } from 'node:fs';

const now = new Date('2026-11-28T12:00:00Z');

function snapshot(parts: Partial<Snapshot>): Snapshot {
  return { takenAt: now, engine: null, storage: null, usage: null, containers: [], failures: [], ...parts };
}

/** A filesystem with `usedPct` of its bytes and `inodePct` of its inodes taken. */
function fs(usedPct: number, inodePct = 0): Storage {
  return filesystemStorage('/var/lib/docker', { bsize: 1, blocks: 1000, bfree: 1000 - usedPct * 10, bavail: 1000 - usedPct * 10, files: 1000, ffree: 1000 - inodePct * 10 });
}

const container = facts;
const evaluate = (s: Snapshot, trends?: Trends) => evaluateWith(s, DEFAULTS, trends);

const codes = (findings: Finding[]) => findings.map((f) => `${f.severity}:${f.code}`);

describe('evaluate: space and inodes', () => {
  it.each([
    [79, 0, []],
    [80, 0, ['warning:DATA_SPACE_LOW']],
    [89, 0, ['warning:DATA_SPACE_LOW']],
    [90, 0, ['critical:DATA_SPACE_LOW']],
    [10, 85, ['warning:INODES_LOW']],
    [10, 95, ['critical:INODES_LOW']],
    [85, 95, ['critical:INODES_LOW', 'warning:DATA_SPACE_LOW']],
  ])('%d%% bytes, %d%% inodes', (usedPct, inodePct, expected) => {
    expect(codes(evaluate(snapshot({ storage: fs(usedPct, inodePct) })))).toEqual(expected);
  });

  const pool = (used: string, available: string, minFree: string | null, extra: Array<[string, string]> = []) =>
    thinPoolStorage([
      ['Pool Name', 'pool'],
      ['Data Space Used', used],
      ['Data Space Total', '100 GB'],
      ['Data Space Available', available],
      ['Metadata Space Used', '1 GB'],
      ['Metadata Space Total', '2 GB'],
      ['Metadata Space Available', '1 GB'],
      ...(minFree ? ([['Thin Pool Minimum Free Space', minFree]] as Array<[string, string]>) : []),
      ...extra,
    ]);

  it('is critical once free thin-pool data space is below the minimum free space, whatever the percentage', () => {
    // 85% used: a warning by percentage, but 15 GB free is below the 20 GB line.
    const findings = evaluate(snapshot({ storage: pool('85 GB', '15 GB', '20 GB') }));
    expect(findings).toEqual([
      { code: 'DATA_SPACE_LOW', severity: 'critical', space: 'data', message: 'thin pool data space: 15 GB free, below its minimum free space of 20 GB: the engine refuses to create containers' },
    ]);
  });

  it('is critical when the loop file filesystem leaves less than the minimum free space, and says why', () => {
    // 10 GB used of 100 GB, but the loop file can only grow by 5 GB more.
    const findings = evaluate(snapshot({ storage: pool('10 GB', '5 GB', '10 GB') }));
    expect(findings[0]).toMatchObject({ code: 'DATA_SPACE_LOW', severity: 'critical' });
    expect(findings[0]!.message).toMatch(/^thin pool data space: only 5 GB can still be written \(the filesystem holding its loop file caps it\)/);
    expect(findings[0]!.message).not.toMatch(/refuses/);
  });

  it('warns on metadata space (50% here is fine, 85% is not) and on loop-lvm', () => {
    expect(codes(evaluate(snapshot({ storage: pool('10 GB', '90 GB', '10 GB') })))).toEqual([]);
    const loop = pool('10 GB', '90 GB', '10 GB', [['Data loop file', '/var/lib/docker/devicemapper/devicemapper/data']]);
    expect(codes(evaluate(snapshot({ storage: loop })))).toEqual(['warning:THIN_POOL_LOOPBACK']);
    const meta = thinPoolStorage([
      ['Metadata Space Used', '1.7 GB'],
      ['Metadata Space Total', '2 GB'],
      ['Metadata Space Available', '300 MB'],
    ]);
    expect(codes(evaluate(snapshot({ storage: meta })))).toEqual(['warning:METADATA_SPACE_LOW']);
  });
});

describe('evaluate: logs', () => {
  it('flags a json-file log with no max-size, with its size', () => {
    const findings = evaluate(snapshot({ containers: [container({ logConfig: logConfigFacts('json-file', {}) })] }));
    expect(findings).toEqual([expect.objectContaining({ code: 'UNBOUNDED_LOG', severity: 'warning', containerId: 'c1', message: expect.stringContaining('100 B') })]);
  });

  it('only informs about the uncapped log of a stopped container, which cannot grow until it restarts', () => {
    const findings = evaluate(snapshot({ containers: [container({ state: 'exited', logConfig: logConfigFacts('json-file', {}) })] }));
    expect(codes(findings)).toEqual(['info:UNBOUNDED_LOG']);
    expect(exitCodeOf({ findings })).toBe(0);
  });

  it('leaves bounded and off-host logs alone', () => {
    const containers = [container({}), container({ id: 'c2', logConfig: logConfigFacts('journald', {}), logFiles: null })];
    expect(evaluate(snapshot({ containers }))).toEqual([]);
  });

  describe('LOG_LIMIT_TOO_BIG: max-size x max-file over a quarter of the space under DockerRootDir (issue #9, defect 12)', () => {
    /** A filesystem of `gb` GB, 10 % used. */
    const disk = (gb: number) => filesystemStorage('/var/lib/docker', { bsize: 1000, blocks: gb * 1e6, bfree: gb * 9e5, bavail: gb * 9e5, files: 1000, ffree: 900 });
    const capped = (maxSize: string, maxFile: string | undefined, parts = {}) => container({ logConfig: logConfigFacts('json-file', { 'max-size': maxSize, ...(maxFile ? { 'max-file': maxFile } : {}) }), ...parts });

    it('flags a cap over a quarter of the space, and only such a cap', () => {
      const cases: Array<[string, string | undefined, number, string[]]> = [
        ['10k', '100000', 0.5, ['warning:LOG_LIMIT_TOO_BIG']], // 1 GB cap on a 0.5 GB disk: the case
        ['10m', '3', 0.5, []], // 30 MB: the usual
        ['100m', '10', 3.9, ['warning:LOG_LIMIT_TOO_BIG']], // 1 GB > 25 % of 3.9 GB
        ['100m', '10', 4.1, []], // 1 GB < 25 % of 4.1 GB
        ['200m', undefined, 0.5, ['warning:LOG_LIMIT_TOO_BIG']], // max-file defaults to 1
      ];
      const found = cases.map(([maxSize, maxFile, gb]) => codes(evaluate(snapshot({ storage: disk(gb), containers: [capped(maxSize, maxFile)] }))));
      expect(found).toEqual(cases.map((c) => c[3]));
    });

    it('names the container, its cap and the space, as a warning for a running container and information for a stopped one', () => {
      const findings = evaluate(snapshot({ storage: disk(0.5), containers: [capped('10k', '100000'), capped('10k', '100000', { id: 'c2', name: 'done', state: 'exited' })] }));
      expect(findings).toEqual([
        expect.objectContaining({
          code: 'LOG_LIMIT_TOO_BIG',
          severity: 'warning',
          containerId: 'c1',
          subject: 'web',
          message: 'web: json-file log may grow to 1 GB (max-size 10 kB x max-file 100,000), more than 25% of the 500 MB space under /var/lib/docker; re-create it with a smaller --log-opt max-size or max-file',
        }),
        expect.objectContaining({ code: 'LOG_LIMIT_TOO_BIG', severity: 'info', containerId: 'c2' }),
      ]);
    });

    it('says nothing without the size of the space that holds the logs (no storage, or a thin pool)', () => {
      expect(evaluate(snapshot({ containers: [capped('10k', '100000')] }))).toEqual([]);
      const pool = thinPoolStorage(Object.entries({ 'Pool Name': 'docker-pool', 'Data Space Used': '100 MB', 'Data Space Total': '500 MB', 'Data Space Available': '400 MB' }) as DriverStatus);
      expect(codes(evaluate(snapshot({ storage: pool, containers: [capped('10k', '100000')] })))).toEqual([]);
      // ... while the same log on a 500 MB filesystem is flagged.
      expect(codes(evaluate(snapshot({ storage: disk(0.5), containers: [capped('10k', '100000')] })))).toEqual(['warning:LOG_LIMIT_TOO_BIG']);
    });
  });

  it('flags a log that starts with NUL bytes', () => {
    const files = { path: '/x', bytes: 10, liveBytes: 10, rotatedFiles: 0, corrupt: true };
    expect(codes(evaluate(snapshot({ containers: [container({ logFiles: files })] })))).toEqual(['warning:LOG_CORRUPT']);
  });
});

describe('evaluate: exited containers', () => {
  const line = { count: 0, active: 0, sizeBytes: 0, reclaimableBytes: 0 };
  const usage = { measuredAt: '2026-11-28T12:00:00.000Z', images: line, containers: line, volumes: line, buildCache: line, sizeRwById: {} };
  const exited = (n: number, footprintBytes: number, sizeRwBytes: number, logBytes = 100) =>
    Array.from({ length: n }, (_, i) =>
      container({
        id: `e${i}`,
        state: 'exited',
        finishedAt: '2026-11-27T00:00:00Z',
        sizeRwBytes,
        footprint: { bytes: footprintBytes, inodes: 45 },
        logFiles: { path: '/x', bytes: logBytes, liveBytes: logBytes, rotatedFiles: 0, corrupt: false },
      }),
    );

  it.each([
    ['a few, small', exited(5, 150_000, 10), []],
    ['enough to matter', exited(40, 150_000, 10), ['info:EXITED_CONTAINERS_OVERHEAD']],
    ['a heavy pile', exited(10_000, 150_000, 10), ['warning:EXITED_CONTAINERS_OVERHEAD']],
    ['footprint mostly their own data', exited(40, 150_000, 100_000), []],
    ['footprint mostly their logs', exited(40, 150_000, 10, 140_000), []],
  ])('%s', (_label, containers, expected) => {
    expect(codes(evaluate(snapshot({ containers, usage })))).toEqual(expected);
  });

  it('says what system df shows next to what they take', () => {
    const [finding] = evaluate(snapshot({ containers: exited(40, 150_000, 10), usage }));
    expect(finding!.message).toBe('40 exited containers take 6 MB and 1,800 inodes on disk, while `docker system df` shows 400 B for them');
  });

  it('says nothing when system df could not be read, rather than claim it showed 0 B', () => {
    expect(evaluate(snapshot({ containers: exited(40, 150_000, 10), usage: null }))).toEqual([]);
  });
});

describe('exitCodeOf', () => {
  const f = (severity: Finding['severity'], code: Finding['code'] = 'DATA_SPACE_LOW'): Finding => ({ code, severity, message: '' });
  it.each([
    [[], 0],
    [[f('info')], 0],
    [[f('warning')], 1],
    [[f('critical'), f('warning')], 2],
    [[f('warning', 'COLLECTOR_FAILED')], 3],
    [[f('warning', 'COLLECTOR_FAILED'), f('warning')], 1],
    [[f('warning', 'COLLECTOR_FAILED'), f('critical')], 2],
  ])('%j -> %d', (findings, code) => {
    expect(exitCodeOf({ findings })).toBe(code);
  });

  it.each([
    ['usage', 64],
    ['config', 78],
    ['unknown', 3],
  ] as const)('a run stopped by a %s failure -> %d', (failure, code) => {
    expect(exitCodeOf({ failure })).toBe(code);
  });

  it('turns a failed collector into a finding that names it', () => {
    const findings = evaluate(snapshot({ failures: [{ collector: 'usage', message: 'The engine answered 500 to GET /system/df: boom' }] }));
    expect(findings).toEqual([{ code: 'COLLECTOR_FAILED', severity: 'warning', subject: 'usage', message: 'usage: The engine answered 500 to GET /system/df: boom' }]);
  });
});

describe('evaluate: every engine-info fixture', () => {
  // The findings each real `docker info` of test/fixtures/engine-info gives.
  const fixture = (file: string) => JSON.parse(readFileSync(new URL(`../fixtures/engine-info/${file}`, import.meta.url), 'utf8')) as { DriverStatus: DriverStatus };
  it.each([
    ['devicemapper-direct-18.06.json', thinPoolStorage, []],
    // 11.16 GB of 107.4 GB used, 96.22 GB available: fine but for the loop files.
    ['devicemapper-loop-17.03.json', thinPoolStorage, ['warning:THIN_POOL_LOOPBACK']],
    // 161.5 MB used, but only 10.1 GB can still be written: less than the 10.74 GB line.
    ['devicemapper-loop-18.09.json', thinPoolStorage, ['critical:DATA_SPACE_LOW', 'warning:THIN_POOL_LOOPBACK']],
    ['zfs-19.03.json', zfsStorage, []],
  ] as const)('%s', (file, parse, expected) => {
    expect(codes(evaluate(snapshot({ storage: parse(fixture(file).DriverStatus) })))).toEqual(expected);
  });
});
