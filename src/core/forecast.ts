// Growth rates and "full at" forecasts from history. Pure: points and `now` come in.
//
// The fit is Theil-Sen: the median of the slopes between every pair of points. One
// spike (a big file written and deleted between two runs) moves a least-squares line a
// lot and this median hardly at all, and it needs no tuning.

import { DAY, formatDuration, HOUR, MINUTE, SECOND } from './durations.js';

export interface Point {
  /** ms since the epoch */
  at: number;
  value: number;
}

export interface Growth {
  /** null when there is not enough history to say. */
  bytesPerHour: number | null;
  /** How the figure was obtained, or why there is none, for the reader. */
  basis: string;
}

export interface Forecast {
  growthBytesPerHour: number | null;
  /** When the space reaches the engine's real full line at this trend; null if never. */
  fullAt: string | null;
  basis: string;
}

export interface FitRules {
  minPoints: number;
  minSpanMs: number;
  /** Only points this recent count: the trend of today, not of last month. */
  windowMs: number;
}

/** Logs: two runs a few seconds apart already say how fast a log grows. */
export const LOG_FIT: FitRules = { minPoints: 2, minSpanMs: 5 * SECOND, windowMs: DAY };
/** Disk space moves in steps: ask for more before predicting when it fills. */
export const SPACE_FIT: FitRules = { minPoints: 3, minSpanMs: 10 * MINUTE, windowMs: DAY };

/** Median pairwise slope, in value units per ms; null for fewer than two distinct times.
 *  The slopes go in a Float64Array, sorted as numbers natively: sorting an array with a
 *  comparator took 20-26 ms of a warm report for 52 series of 60 points (every running
 *  container's log, and the disk), a Float64Array 3-12 ms (issue #14). */
export function theilSenSlope(points: Point[]): number | null {
  const slopes = new Float64Array((points.length * (points.length - 1)) / 2);
  let count = 0;
  for (let i = 0; i < points.length; i++) {
    for (let j = i + 1; j < points.length; j++) {
      const dt = points[j]!.at - points[i]!.at;
      if (dt !== 0) slopes[count++] = (points[j]!.value - points[i]!.value) / dt;
    }
  }
  if (count === 0) return null;
  const sorted = slopes.subarray(0, count).sort();
  const mid = count >> 1;
  return count % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Theil-Sen looks at every pair: a one-minute timer's day of samples would be a
 *  million pairs per log. An even selection keeps the trend and the cost small. */
export const MAX_FIT_POINTS = 60;

/**
 * At most `max` of `points` (oldest first), evenly spread in time: the one nearest each
 * of `max` evenly spaced times, the first and the last among them. By time, not by
 * position: the store keeps a log's every run of the last hour and one per 24 minutes
 * before (state/history.ts), and 59 chosen by position from a one-minute timer's day
 * put 30 in its last hour, which turned a log that started writing 20 MB an hour three
 * hours ago from 0 into 4.7 MB an hour over the day (issue #14).
 */
export function evenly<T extends Point>(points: T[], max: number): T[] {
  if (points.length <= max) return points;
  const first = points[0]!.at;
  const span = points[points.length - 1]!.at - first;
  const chosen: T[] = [];
  let j = 0;
  for (let i = 0; i < max; i++) {
    const target = first + (span * i) / (max - 1);
    while (j + 1 < points.length && Math.abs(points[j + 1]!.at - target) <= Math.abs(points[j]!.at - target)) j++;
    if (chosen[chosen.length - 1] !== points[j]) chosen.push(points[j]!);
  }
  return chosen;
}

export function growthOf(points: Point[], now: number, rules: FitRules): Growth {
  const recent = points.filter((p) => p.at > now - rules.windowMs && p.at <= now).sort((a, b) => a.at - b.at);
  const span = recent.length > 0 ? recent[recent.length - 1]!.at - recent[0]!.at : 0;
  if (recent.length < rules.minPoints || span < rules.minSpanMs) {
    return {
      bytesPerHour: null,
      basis: `not enough history: ${recent.length} sample${recent.length === 1 ? '' : 's'} over ${formatDuration(span)}, need ${rules.minPoints} over ${formatDuration(rules.minSpanMs)}`,
    };
  }
  const slope = theilSenSlope(evenly(recent, MAX_FIT_POINTS))!;
  return { bytesPerHour: slope * HOUR, basis: `trend of ${recent.length} samples over ${formatDuration(span)}` };
}

/**
 * When used space reaches the full line: available bytes fall to `fullLineBytes` (the
 * thin pool's minimum free space, or 0 for a filesystem) at the current growth.
 */
export function forecastFull(usedPoints: Point[], availableBytes: number, fullLineBytes: number, now: number, rules: FitRules = SPACE_FIT): Forecast {
  const growth = growthOf(usedPoints, now, rules);
  if (growth.bytesPerHour === null) return { growthBytesPerHour: null, fullAt: null, basis: growth.basis };
  const headroom = availableBytes - fullLineBytes;
  if (headroom <= 0) return { growthBytesPerHour: growth.bytesPerHour, fullAt: new Date(now).toISOString(), basis: `${growth.basis}; already past the full line` };
  if (growth.bytesPerHour <= 0) return { growthBytesPerHour: growth.bytesPerHour, fullAt: null, basis: `${growth.basis}; flat or shrinking, so no full date` };
  const fullAt = now + (headroom / growth.bytesPerHour) * HOUR;
  // A trickle into a big disk would be "full" in thousands of years (past what a Date
  // can hold): beyond ten years, there is simply no full date.
  if (!(fullAt - now < 10 * 365 * DAY)) return { growthBytesPerHour: growth.bytesPerHour, fullAt: null, basis: `${growth.basis}; not full within 10 years` };
  return { growthBytesPerHour: growth.bytesPerHour, fullAt: new Date(fullAt).toISOString(), basis: growth.basis };
}

const SPARKS = '▁▂▃▄▅▆▇█';

/** A small trend line for the text report: the last `width` values, scaled to their range. */
export function sparkline(values: number[], width = 24): string {
  const shown = values.slice(-width);
  if (shown.length < 2) return '';
  const min = Math.min(...shown);
  const range = Math.max(...shown) - min;
  return shown.map((v) => SPARKS[range === 0 ? 0 : Math.round(((v - min) / range) * (SPARKS.length - 1))]).join('');
}
