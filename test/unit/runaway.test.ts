// Runaway growth (issue #11): the daemon's samples of the last minute against the space
// left and watch.horizon.

import { describe, expect, it } from 'vitest';
import { recentRate, runawayFindings } from '../../src/core/runaway.js';

const now = Date.parse('2026-11-29T12:00:00Z');
const HOUR = 3_600_000;
/** Samples every 10 s for the last `seconds`, growing `perSecond` bytes a second. */
const growing = (perSecond: number, seconds = 60, start = 0) => Array.from({ length: seconds / 10 + 1 }, (_, i) => ({ at: now - seconds * 1000 + i * 10_000, value: start + perSecond * i * 10 }));

describe('recentRate', () => {
  it('is the growth per second of the last minute', () => {
    expect(recentRate(growing(38e6), now)).toBeCloseTo(38e6, 0);
  });

  it('waits for three samples over 15 s, and forgets what is older than a minute', () => {
    expect(recentRate(growing(1e6, 10), now)).toBeNull();
    // Fast two minutes ago, flat since: the burst is over.
    const burstThenFlat = [...growing(50e6, 60).map((p) => ({ ...p, at: p.at - 60_000 })), ...growing(0, 60, 3e9)];
    expect(recentRate(burstThenFlat, now)).toBe(0);
  });
});

describe('runawayFindings', () => {
  const space = (availableBytes: number, perSecond: number) => ({ name: 'data' as const, availableBytes, points: growing(perSecond) });

  it('names the container, its rate and the time left when its log alone fills the space within the horizon', () => {
    // The example: 38 MB/s, 20.5 GB left: about 9 minutes.
    const findings = runawayFindings({ now, horizonMs: HOUR, space: space(20.5e9, 38e6), logs: [{ containerId: 'c1', name: 'web', points: growing(38e6) }, { containerId: 'c2', name: 'quiet', points: growing(10) }] });
    expect(findings).toEqual([
      { code: 'RUNAWAY_LOG', severity: 'critical', containerId: 'c1', subject: 'web', space: 'data', bytesPerSecond: expect.closeTo(38e6, 0), message: 'web writes 38 MB/s; data space is full in about 9 minutes' },
    ]);
  });

  it('says SPACE_RUNAWAY when the space fills and no log explains it', () => {
    const findings = runawayFindings({ now, horizonMs: HOUR, space: space(10e9, 5e6), logs: [{ containerId: 'c1', name: 'web', points: growing(1e3) }] });
    expect(findings.map((f) => [f.code, f.message])).toEqual([['SPACE_RUNAWAY', 'data space grows 5 MB/s; it is full in about 33 minutes']]);
  });

  it('is quiet when the space lasts beyond the horizon, is flat, or has too few samples', () => {
    expect(runawayFindings({ now, horizonMs: HOUR, space: space(100e9, 5e6), logs: [{ containerId: 'c1', name: 'web', points: growing(5e6) }] })).toEqual([]);
    expect(runawayFindings({ now, horizonMs: HOUR, space: space(1e9, 0), logs: [] })).toEqual([]);
    expect(runawayFindings({ now, horizonMs: HOUR, space: { name: 'data', availableBytes: 1e9, points: growing(5e6, 10) }, logs: [] })).toEqual([]);
    expect(runawayFindings({ now, horizonMs: HOUR, space: null, logs: [{ containerId: 'c1', name: 'web', points: growing(5e9) }] })).toEqual([]);
  });
});
