// Runaway growth (issue #11): a log, or the data space, growing so fast over the last
// minute that the space left lasts less than watch.horizon. The daemon samples; this
// decides. Pure: samples and `now` come in, findings go out.

import prettyBytes from 'pretty-bytes';
import { formatDuration, MINUTE, SECOND } from './durations.js';
import { growthOf, type FitRules, type Point } from './forecast.js';
import type { Finding, SpaceName } from './model.js';

/** The growth of the last minute: a tight loop shows within a few samples, and a burst
 *  that ended a minute ago no longer counts. */
export const RUNAWAY_FIT: FitRules = { minPoints: 3, minSpanMs: 15 * SECOND, windowMs: MINUTE };

/** Bytes per second over the last minute; null while there are too few samples. */
export function recentRate(points: Point[], now: number): number | null {
  const growth = growthOf(points, now, RUNAWAY_FIT);
  return growth.bytesPerHour === null ? null : growth.bytesPerHour / 3600;
}

export interface RunawayInput {
  now: number;
  horizonMs: number;
  /** The space the logs and layers fill, and what is left of it. */
  space: { name: SpaceName; availableBytes: number; points: Point[] } | null;
  /** Each watched log: bytes written so far (rotations do not subtract). */
  logs: Array<{ containerId: string; name: string; points: Point[] }>;
}

const rate = (bytesPerSecond: number) => `${prettyBytes(bytesPerSecond)}/s`;
const SPACE_LABEL: Record<SpaceName, string> = { data: 'data space', metadata: 'metadata space', inodes: 'inodes', 'image-store': "containerd's space", 'image-store-inodes': "containerd's inodes" };

/**
 * RUNAWAY_LOG for each log that alone would fill the space within the horizon; else
 * SPACE_RUNAWAY when the space as a whole would. Critical: the point of the daemon is to
 * say so minutes before the disk is full, not at the next timer run.
 */
export function runawayFindings(input: RunawayInput): Finding[] {
  const { space, now, horizonMs } = input;
  if (!space) return [];
  const left = (bytesPerSecond: number) => (space.availableBytes / bytesPerSecond) * SECOND;
  const findings: Finding[] = [];
  for (const log of input.logs) {
    const bytesPerSecond = recentRate(log.points, now);
    if (bytesPerSecond === null || bytesPerSecond <= 0 || left(bytesPerSecond) >= horizonMs) continue;
    findings.push({
      code: 'RUNAWAY_LOG',
      severity: 'critical',
      containerId: log.containerId,
      subject: log.name,
      space: space.name,
      bytesPerSecond,
      message: `${log.name} writes ${rate(bytesPerSecond)}; ${SPACE_LABEL[space.name]} is full in about ${formatDuration(left(bytesPerSecond))}`,
    });
  }
  if (findings.length > 0) return findings;
  const bytesPerSecond = recentRate(space.points, now);
  if (bytesPerSecond === null || bytesPerSecond <= 0 || left(bytesPerSecond) >= horizonMs) return [];
  return [
    {
      code: 'SPACE_RUNAWAY',
      severity: 'critical',
      space: space.name,
      bytesPerSecond,
      message: `${SPACE_LABEL[space.name]} grows ${rate(bytesPerSecond)}; it is full in about ${formatDuration(left(bytesPerSecond))}`,
    },
  ];
}
