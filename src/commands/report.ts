// `watchdog report`: gather a snapshot (with what earlier runs remember), decide the
// findings and trends, record this run in the state store, print. Never changes the
// host.

import { collectSnapshot } from '../collect/index.js';
import { loadConfig } from '../config/config.js';
import { evaluate, exitCodeOf } from '../core/evaluate.js';
import { renderText } from '../core/render.js';
import { buildReport } from '../core/report.js';
import { trendsOf } from '../core/trends.js';
import { connectEngine } from '../engine/client.js';
import { resolveHost } from '../engine/host.js';
import { recentUsage, recordExitedCache, recordUsage, sqliteExitedCache } from '../state/cache.js';
import { readHistory, recordRun } from '../state/history.js';
import { withLockedStore, type StateOptions } from '../state/index.js';
import type { Io } from './io.js';

/** Trends look back a day (see core/forecast.ts); a week is read for the sparklines. */
const HISTORY_WINDOW_MS = 7 * 24 * 3_600_000;

export interface ReportOptions extends StateOptions {
  host?: string;
  config?: string;
  json: boolean;
  color: boolean;
  top: number;
  /** Ask the engine for `docker system df` now, whatever the age of the last answer. */
  fresh: boolean;
}

export async function reportCommand(options: ReportOptions, io: Io): Promise<number> {
  const config = await loadConfig(options.config);
  const client = connectEngine(resolveHost(options.host, io.env));

  return withLockedStore(options, io, async ({ db }, now) => {
    const history = readHistory(db, now.getTime() - HISTORY_WINDOW_MS);
    const recent = options.fresh ? null : recentUsage(db, now, config.usageMaxAgeMs);
    const { snapshot, timings } = await collectSnapshot(client, { now, cache: sqliteExitedCache(db), recentUsage: recent });

    const trends = trendsOf(snapshot, history, now.getTime());
    const findings = evaluate(snapshot, config.thresholds, trends);
    const report = buildReport(snapshot, findings, timings, trends);

    recordRun(db, snapshot);
    recordExitedCache(db, snapshot.containers, !snapshot.failures.some((f) => f.collector === 'containers'));
    if (snapshot.usage && snapshot.usage !== recent) recordUsage(db, snapshot.usage);

    // JSON is indented for a person at a terminal, compact for the scripts that read it
    // (a thousand containers make a megabyte of indentation).
    const json = () => `${JSON.stringify(report, null, io.stdoutIsTerminal ? 2 : undefined)}\n`;
    io.stdout.write(options.json ? json() : renderText(report, { color: options.color && io.colorCapable, now, top: options.top, history }));
    return exitCodeOf(findings);
  });
}
