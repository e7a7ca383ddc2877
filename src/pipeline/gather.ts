// Gather and decide: a snapshot taken with what the state store remembers (history,
// containers' cache, a recent df), then the trends and findings decided from it,
// once. The disk pressure that planning reads is part of what is decided here.

import { collectSnapshot } from '../collect/index.js';
import { deliveryFindings } from '../core/alerts.js';
import { NO_RECORDED_DRIFT, recordedDrift, type RecordedDrift } from './running-drift.js';
import { LOG_FIT, MAX_FIT_POINTS, SPACE_FIT } from '../core/forecast.js';
import { containerListFindings, evaluate, sortFindings, stateFindings } from '../core/evaluate.js';
import type { CollectorTiming, ContainerFacts, Finding, History, Snapshot, Usage } from '../core/model.js';
import { NO_HISTORY } from '../core/model.js';
import { pressureOf, type Pressure } from '../core/plan-prune.js';
import { selectContainers } from '../core/select.js';
import { trendsOf, type Trends } from '../core/trends.js';
import type { Opening } from '../engine/client.js';
import { UsageError } from '../errors.js';
import { undelivered } from '../state/alerts.js';
import { recentUsage, sqliteExitedCache } from '../state/cache.js';
import { readHistory, type HistoryWindow } from '../state/history.js';
import { storeEngineId } from '../state/store.js';
import { dockerdMemo } from './dockerd-memo.js';
import { settleMemory, type Run } from './run.js';
import { ledgerOf, thawOrphans } from './thaw.js';

/** The history a pass reads (issue #14): what the trends fit (core/forecast.ts), the
 *  last day of storage samples and of each log at most MAX_FIT_POINTS points with this
 *  run's; and the 24 storage samples before that day, for the text report's sparkline
 *  of the data space (its last 24 values) where the watchdog runs less than hourly. A
 *  week of every series was read before: on a host in a 5-minute timer's steady state,
 *  696 samples of each, where a trend used 60 of the last day's 288 (with the trends
 *  over them, 228 ms of a warm report at 1,000 exited and 50 running containers on such
 *  a store; 154-164 ms with this window). */
function historyWindow(now: number): HistoryWindow {
  return { storageSince: now - SPACE_FIT.windowMs, storageBefore: 24, logsAfter: now - LOG_FIT.windowMs, logPoints: MAX_FIT_POINTS - 1 };
}

export interface Pass {
  /** When it was taken: the clock every decision about it reads. */
  now: Date;
  snapshot: Snapshot;
  /** The store belongs to another engine: its history was not used and this run is
   *  not recorded in it. */
  foreignStore: boolean;
  timings: CollectorTiming[];
  history: History;
  trends: Trends;
  /** Every finding about the host, worst first. */
  findings: Finding[];
  /** Containers a killed run had left frozen, thawed by this one (also in findings). */
  thawed: Finding[];
  /** The running containers' recorded drift, while the audit is on (also in findings). */
  recorded: RecordedDrift;
  /** The worst of data, metadata and inodes: pruning is stricter under pressure. */
  pressure: Pressure;
  /** The df answer reused from the store, if one was. */
  reusedUsage: Usage | null;
}

/** `reuse` a df answer younger than usage.maxAge, ask for a `fresh` one, or `skip` df
 *  (the acting commands do not need it). */
export type UsageWanted = 'reuse' | 'fresh' | 'skip';

/** `audit`: collect the host's side of the audit (issue #13) whatever audit.enabled says
 *  (`watchdog audit`); by default only while it is enabled. */
export async function gather(run: Run, usage: UsageWanted, options: { audit?: boolean } = {}): Promise<Pass> {
  const { db, config } = run;
  const audit = options.audit ?? config.audit.enabled;
  // Read here, with the store's lock held: a run that waited for another must not
  // record its sample at the time of the run it waited for.
  const now = run.io.now();
  const owner = storeEngineId(db);
  const ownedBy = (engineId: string) => owner === null || owner === engineId;
  let history = readHistory(db, historyWindow(now.getTime()));
  let reusedUsage: Usage | null = null;
  const collect = (opening: Opening | null) => {
    run.progress.start();
    return collectSnapshot(run.client, {
      opening,
      progress: run.progress.report,
      collectGarbage: run.io.collectGarbage,
      now,
      env: run.io.env,
      // What the store remembers of containers is this engine's only if the store is.
      exitedCache: (engineId) => (ownedBy(engineId) ? sqliteExitedCache(db) : null),
      skipUsage: usage === 'skip',
      recentUsage: (engineId) => (reusedUsage = usage !== 'reuse' || !ownedBy(engineId) ? null : recentUsage(db, now, config.usage.maxAge)),
      audit: audit ? { groupFile: config.audit.groupFile, passwdFile: config.audit.passwdFile, daemonConfig: config.audit.daemonConfig, dockerdMemo: dockerdMemo(run.io.env) } : null,
    }).finally(run.progress.end);
  };
  // The engine's first answers, if withRun asked them, are for the first pass only.
  const opening = run.opening;
  run.opening = null;
  let { snapshot, timings } = await collect(opening);
  // A container a killed run left frozen is thawed first (and the host seen again, as
  // it is now): the rare case, so the common one pays one readdir of a tmpfs folder.
  // Only rotation freezes, and only on an engine whose files are here (local): a
  // remote engine, maybe a clone of this host's with its ID and DockerRootDir, has no
  // intents here to thaw, and must not drop this one's (issue #9).
  const thawed = snapshot.engine?.local ? await thawOrphans(run, ledgerOf(run.io, snapshot.engine)) : [];
  if (thawed.length > 0) ({ snapshot, timings } = await collect(null));
  const foreignStore = snapshot.engine !== null && !ownedBy(snapshot.engine.id);
  if (foreignStore) {
    run.warn(`the state store holds the history of engine ${owner}, not of this one (${snapshot.engine!.id}): not using or changing it; give each engine its own --state`);
    history = NO_HISTORY;
  }
  const trends = trendsOf(snapshot, history, now.getTime());
  // Alerts that could not be delivered are a finding of their own, so that `report`
  // shows them even on a host where nobody reads the mail.
  // The running containers' drift as the store recorded it (issue #13): RUNNING_DRIFT,
  // SETUID_DRIFT, WRITABLE_ROOTFS.
  const recorded = audit && !foreignStore ? recordedDrift(run, snapshot.containers) : NO_RECORDED_DRIFT;
  const findings = sortFindings([...thawed, ...evaluate(snapshot, config, trends), ...recorded.findings, ...deliveryFindings(undelivered(db))]);
  settleMemory(run, snapshot.containers.length);
  return { now, snapshot, foreignStore, timings, history, trends, findings, thawed, recorded, pressure: pressureOf(findings), reusedUsage };
}

/** What the commands that look only at some containers (rotate, prune, drift) report
 *  besides their own findings: a container list that came back incomplete, containers
 *  a killed run had left frozen, a store that could not be used. Read at the end of
 *  the run: a store may fail half-way. */
export function runFindings(run: Run, pass: Pass): Finding[] {
  return [...containerListFindings(pass.snapshot), ...pass.thawed, ...stateFindings(run.storeProblems)];
}

/** The containers named on the command line; a name that matches none is a usage error. */
export function namedContainers(snapshot: Snapshot, names: string[]): ContainerFacts[] {
  const { found, unknown } = selectContainers(snapshot.containers, names);
  if (unknown.length > 0) throw new UsageError(`No container is named ${unknown.map((n) => `"${n}"`).join(', ')} (by name, id or id prefix); see docker ps -a.`);
  return found;
}
