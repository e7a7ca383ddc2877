// Trends: how fast each log and the engine's space grow, and when the space runs out,
// from the history of earlier runs plus this run's snapshot. Pure.

import { forecastFull, growthOf, LOG_FIT, type Forecast, type Growth, type Point } from './forecast.js';
import type { History, Snapshot } from './model.js';
import { isExited } from './model.js';

export interface Trends {
  /** Data space: null when the engine's space is not measurable from here. */
  data: Forecast | null;
  inodes: Forecast | null;
  /** Growth of each running container's log, by container id. */
  logs: Record<string, Growth>;
}

export const NO_TRENDS: Trends = { data: null, inodes: null, logs: {} };

export function trendsOf(snapshot: Snapshot, history: History, now: number): Trends {
  const storage = snapshot.storage;
  const series = (pick: (s: History['storage'][number]) => number | null, current: number): Point[] => [
    ...history.storage.flatMap((s) => {
      const value = pick(s);
      return value === null ? [] : [{ at: s.at, value }];
    }),
    { at: now, value: current },
  ];

  const data = storage?.data
    ? forecastFull(series((s) => s.dataUsed, storage.data.usedBytes), storage.data.availableBytes, storage.thinPool?.minimumFreeBytes ?? 0, now)
    : null;
  const inodes = storage?.inodes
    ? forecastFull(series((s) => s.inodesUsed, storage.inodes.used), storage.inodes.total - storage.inodes.used, 0, now)
    : null;

  const logs: Record<string, Growth> = {};
  for (const c of snapshot.containers) {
    // A stopped container's log does not grow.
    if (isExited(c.state) || !c.logFiles) continue;
    logs[c.id] = growthOf([...(history.logs[c.id] ?? []), { at: now, value: c.logFiles.bytes }], now, LOG_FIT);
  }
  return { data, inodes, logs };
}
