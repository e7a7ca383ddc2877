// The gather and record steps that report and check share: a snapshot taken with what
// the state store remembers (history, exited-container cache, a recent df), the trends
// and findings decided from it, and the run written back to the store.

import { collectSnapshot } from '../collect/index.js';
import type { Config } from '../config/config.js';
import { evaluate } from '../core/evaluate.js';
import type { CollectorTiming, Finding, History, Snapshot, Usage } from '../core/model.js';
import { trendsOf, type Trends } from '../core/trends.js';
import type { EngineClient } from '../engine/client.js';
import { recentUsage, recordExitedCache, recordUsage, sqliteExitedCache } from '../state/cache.js';
import { readHistory, recordRun } from '../state/history.js';
import type { Db } from '../state/store.js';

/** Trends look back a day (see core/forecast.ts); a week is read for the sparklines. */
const HISTORY_WINDOW_MS = 7 * 24 * 3_600_000;

export interface Pass {
  snapshot: Snapshot;
  timings: CollectorTiming[];
  history: History;
  trends: Trends;
  findings: Finding[];
  /** The df answer reused from the store, if one was. */
  reusedUsage: Usage | null;
}

export async function gather(client: EngineClient, db: Db, config: Config, now: Date, freshUsage: boolean): Promise<Pass> {
  const history = readHistory(db, now.getTime() - HISTORY_WINDOW_MS);
  const reusedUsage = freshUsage ? null : recentUsage(db, now, config.usageMaxAgeMs);
  const { snapshot, timings } = await collectSnapshot(client, { now, cache: sqliteExitedCache(db), recentUsage: reusedUsage });
  const trends = trendsOf(snapshot, history, now.getTime());
  const findings = evaluate(snapshot, config.thresholds, trends);
  return { snapshot, timings, history, trends, findings, reusedUsage };
}

export function record(db: Db, pass: Pass): void {
  const { snapshot } = pass;
  recordRun(db, snapshot);
  recordExitedCache(db, snapshot.containers, !snapshot.failures.some((f) => f.collector === 'containers'));
  if (snapshot.usage && snapshot.usage !== pass.reusedUsage) recordUsage(db, snapshot.usage);
}
