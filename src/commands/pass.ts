// The gather and record steps that report and check share: a snapshot taken with what
// the state store remembers (history, exited-container cache, a recent df), the trends
// and findings decided from it, and the run written back to the store.

import prettyBytes from 'pretty-bytes';
import { collectSnapshot } from '../collect/index.js';
import type { Config } from '../config/config.js';
import { evaluate } from '../core/evaluate.js';
import type { CollectorTiming, Finding, History, Snapshot, Usage } from '../core/model.js';
import { NO_HISTORY } from '../core/model.js';
import { trendsOf, type Trends } from '../core/trends.js';
import type { EngineClient } from '../engine/client.js';
import { undelivered } from '../state/alerts.js';
import { recentUsage, recordExitedCache, recordUsage, sqliteExitedCache } from '../state/cache.js';
import { readHistory, recordRun } from '../state/history.js';
import { setStoreEngineId, storeEngineId, type Db } from '../state/store.js';

/** Trends look back a day (see core/forecast.ts); a week is read for the sparklines. */
const HISTORY_WINDOW_MS = 7 * 24 * 3_600_000;

export interface Pass {
  snapshot: Snapshot;
  /** The store belongs to another engine: its history was not used and this run is
   *  not recorded in it. */
  foreignStore: boolean;
  timings: CollectorTiming[];
  history: History;
  trends: Trends;
  findings: Finding[];
  /** The df answer reused from the store, if one was. */
  reusedUsage: Usage | null;
}

export async function gather(client: EngineClient, db: Db, config: Config, now: Date, freshUsage: boolean, warn: (message: string) => void): Promise<Pass> {
  const owner = storeEngineId(db);
  const ownedBy = (engineId: string) => owner === null || owner === engineId;
  let history = readHistory(db, now.getTime() - HISTORY_WINDOW_MS);
  let reusedUsage: Usage | null = null;
  const { snapshot, timings } = await collectSnapshot(client, {
    now,
    cache: sqliteExitedCache(db),
    recentUsage: (engineId) => (reusedUsage = freshUsage || !ownedBy(engineId) ? null : recentUsage(db, now, config.usageMaxAgeMs)),
  });
  const foreignStore = snapshot.engine !== null && !ownedBy(snapshot.engine.id);
  if (foreignStore) {
    warn(`the state store holds the history of engine ${owner}, not of this one (${snapshot.engine!.id}): not using or changing it; give each engine its own --state`);
    history = NO_HISTORY;
  }
  const trends = trendsOf(snapshot, history, now.getTime());
  const findings = evaluate(snapshot, config.thresholds, trends);
  // Alerts that could not be delivered are a finding of their own, so that `report`
  // shows them even on a host where nobody reads the mail.
  const outbox = undelivered(db);
  if (outbox.count > 0) {
    findings.push({
      code: 'ALERT_DELIVERY_FAILED',
      severity: 'warning',
      message: `${outbox.count} alert email${outbox.count > 1 ? 's' : ''} not delivered since ${new Date(outbox.oldest!).toISOString()}, kept in the outbox: ${outbox.lastError}`,
    });
  }
  return { snapshot, foreignStore, timings, history, trends, findings, reusedUsage };
}

/** What an alert email adds to its findings: the biggest logs and the forecast. */
export function contextLines(pass: Pass): string[] {
  const lines: string[] = [];
  const forecast = pass.trends.data;
  if (forecast?.fullAt) lines.push(`Forecast: data space full at ${forecast.fullAt} (${forecast.basis}).`);
  const logs = pass.snapshot.containers.filter((c) => c.logFiles && c.logFiles.bytes > 0).sort((a, b) => b.logFiles!.bytes - a.logFiles!.bytes);
  if (logs.length > 0) {
    lines.push('Biggest logs:');
    for (const c of logs.slice(0, 3)) lines.push(`  ${c.name}: ${prettyBytes(c.logFiles!.bytes)}${c.logConfig.bounded ? '' : ' (no max-size)'}`);
  }
  return lines;
}

/** Writes the run into the store. A store that fails here (a full disk, say) costs the
 *  history of this run, never its report: the failure is a warning. */
export function record(db: Db, pass: Pass, warn: (message: string) => void): void {
  const { snapshot } = pass;
  if (pass.foreignStore) return;
  try {
    if (snapshot.engine && storeEngineId(db) === null) setStoreEngineId(db, snapshot.engine.id);
    recordRun(db, snapshot);
    recordExitedCache(db, snapshot.containers, !snapshot.failures.some((f) => f.collector === 'containers'));
    if (snapshot.usage && snapshot.usage !== pass.reusedUsage) recordUsage(db, snapshot.usage);
  } catch (error) {
    warn(`could not record this run in the state store (${(error as Error).message})`);
  }
}
