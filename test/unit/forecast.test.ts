import { describe, expect, it } from 'vitest';
import { evenly, forecastFull, growthOf, LOG_FIT, SPACE_FIT, sparkline, theilSenSlope, type Point } from '../../src/core/forecast.js';

const HOUR = 3_600_000;
const now = Date.parse('2026-11-28T12:00:00Z');
/** `n` hourly points ending now, value = f(hours before now). */
const series = (n: number, f: (i: number) => number): Point[] => Array.from({ length: n }, (_, k) => ({ at: now - (n - 1 - k) * HOUR, value: f(k) }));

describe('forecastFull', () => {
  it('extrapolates a steady series to the full line', () => {
    // 10 GB used, growing 1 GB an hour, 5 GB available: full in 5 hours.
    const points = series(12, (k) => 1e9 * k);
    const forecast = forecastFull(points, 5e9, 0, now);
    expect(forecast.growthBytesPerHour).toBeCloseTo(1e9, 0);
    expect(forecast.fullAt).toBe('2026-11-28T17:00:00.000Z');
    expect(forecast.basis).toBe('trend of 12 samples over 11 hours');
  });

  it('is not fooled by one spike', () => {
    // Same trend, but one run saw 50 GB more (a big file written and deleted between runs).
    const points = series(12, (k) => 1e9 * k + (k === 6 ? 50e9 : 0));
    const forecast = forecastFull(points, 5e9, 0, now);
    expect(forecast.growthBytesPerHour! / 1e9).toBeGreaterThan(0.9);
    expect(forecast.growthBytesPerHour! / 1e9).toBeLessThan(1.1);
  });

  it('counts down to the thin pool minimum free space, not to zero', () => {
    const forecast = forecastFull(series(6, (k) => 1e9 * k), 5e9, 2e9, now);
    expect(forecast.fullAt).toBe('2026-11-28T15:00:00.000Z');
  });

  it('gives no full date for a flat series', () => {
    const forecast = forecastFull(series(10, () => 7e9), 5e9, 0, now);
    expect(forecast).toEqual({ growthBytesPerHour: 0, fullAt: null, basis: 'trend of 10 samples over 9 hours; flat or shrinking, so no full date' });
  });

  it('says so when there is not enough history', () => {
    expect(forecastFull([{ at: now, value: 1 }], 5e9, 0, now)).toEqual({ growthBytesPerHour: null, fullAt: null, basis: 'not enough history: 1 sample over 0 ms, need 3 over 10 minutes' });
    // Three samples, but all within two minutes.
    const close = [0, 60_000, 120_000].map((dt, i) => ({ at: now - 120_000 + dt, value: i * 1e9 }));
    expect(forecastFull(close, 5e9, 0, now, SPACE_FIT).fullAt).toBeNull();
  });

  it('says the line is already crossed', () => {
    expect(forecastFull(series(6, (k) => 1e9 * k), 1e9, 2e9, now).fullAt).toBe(new Date(now).toISOString());
  });

  it('ignores samples older than its window', () => {
    // Ten old samples far off the trend would carry the median if they counted.
    const old = Array.from({ length: 10 }, (_, i) => ({ at: now - (48 + i) * HOUR, value: 1e12 }));
    expect(forecastFull([...old, ...series(6, (k) => 1e9 * k)], 5e9, 0, now).growthBytesPerHour).toBeCloseTo(1e9, 0);
  });

  it('gives no date for a trickle into a big disk, rather than one past what a Date can hold', () => {
    const forecast = forecastFull(series(12, (k) => 1000 * k), 1e13, 0, now);
    expect(forecast).toMatchObject({ fullAt: null, basis: 'trend of 12 samples over 11 hours; not full within 10 years' });
  });

  it('fits a long series on an even selection of at most 60 points', () => {
    const long = Array.from({ length: 1440 }, (_, k) => ({ at: now - (1439 - k) * 60_000, value: 1e6 * k }));
    expect(forecastFull(long, 1e12, 0, now).growthBytesPerHour).toBeCloseTo(60e6, 0);
  });
});

describe('evenly', () => {
  // What the store keeps of a log run every minute (state/history.ts LOG_RETENTION):
  // every run of the last hour, one per 24 minutes before, for a day.
  const MINUTE = 60_000;
  const kept = (value: (at: number) => number): Point[] =>
    [...Array.from({ length: 58 }, (_, k) => now - 24 * HOUR + k * 24 * MINUTE), ...Array.from({ length: 60 }, (_, k) => now - HOUR + k * MINUTE)]
      .filter((at) => at > now - 24 * HOUR)
      .map((at) => ({ at, value: value(at) }));

  it('chooses by time, not by position: the nearest to each of evenly spaced times, the first and the last among them (issue #14)', () => {
    const points = kept(() => 0);
    const chosen = evenly(points, 59);
    expect(chosen[0]).toBe(points[0]);
    expect(chosen.at(-1)).toBe(points.at(-1));
    // By position, 30 of the 59 fell in the last hour.
    expect(chosen.filter((p) => p.at > now - HOUR).length).toBeLessThanOrEqual(3);
    const gaps = chosen.slice(1).map((p, i) => (p.at - chosen[i]!.at) / MINUTE);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(48);
    expect(evenly(points.slice(0, 40), 59)).toHaveLength(40);
  });

  it('fits the day a log had, not its last hour: quiet for 21 hours, then 20 MB an hour, is flat over the day', () => {
    // Chosen by position, the last hour's runs made it 4.7 MB an hour.
    const started = now - 3 * HOUR;
    const points = kept((at) => Math.max(0, at - started) * (20e6 / HOUR));
    expect(growthOf([...points, { at: now, value: 60e6 }], now, LOG_FIT).bytesPerHour).toBe(0);
  });
});

describe('growthOf (logs)', () => {
  it('needs only two runs five seconds apart', () => {
    const points = [
      { at: now - 5000, value: 1000 },
      { at: now, value: 6000 },
    ];
    expect(growthOf(points, now, LOG_FIT).bytesPerHour).toBeCloseTo(3_600_000, 3);
  });
});

describe('theilSenSlope', () => {
  it('is null without two distinct times', () => {
    expect(theilSenSlope([])).toBeNull();
    expect(theilSenSlope([{ at: 1, value: 1 }, { at: 1, value: 5 }])).toBeNull();
  });

  it('is the median of the pairwise slopes, compared as numbers', () => {
    // Slopes 9, 9.5 and 10: as strings, "10" < "9" < "9.5" would make the median 9.
    expect(theilSenSlope([{ at: 0, value: 0 }, { at: 1, value: 9 }, { at: 2, value: 19 }])).toBe(9.5);
    // An even count: slopes 1, 5.5, 10, 13.33, 15 and 29.
    const points = [{ at: 0, value: 0 }, { at: 1, value: 10 }, { at: 2, value: 11 }, { at: 3, value: 40 }];
    expect(theilSenSlope(points)).toBeCloseTo((10 + 40 / 3) / 2, 10);
    // A fifth point adds 33, 44.5 and 88, and nothing for the pair at one time.
    expect(theilSenSlope([...points, { at: 3, value: 99 }])).toBe(15);
    expect(theilSenSlope([{ at: 0, value: 0 }, { at: 1, value: -5 }, { at: 2, value: 3 }])).toBe(1.5);
  });
});

describe('sparkline', () => {
  it('scales values to eight steps', () => {
    expect(sparkline([0, 1, 2, 3, 4, 5, 6, 7])).toBe('▁▂▃▄▅▆▇█');
    expect(sparkline([5, 5, 5])).toBe('▁▁▁');
    expect(sparkline([1])).toBe('');
  });
});
