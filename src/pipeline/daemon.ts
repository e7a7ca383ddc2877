// `watchdog watch`, the daemon (issue #11): the steps `check` runs, driven by what
// happens instead of by a timer.
//   - Logs: every json-file log without max-size of a running container is watched
//     (collect/log-watch.ts); one that crosses logs.maxSize is rotated at once, by the
//     rotation `watchdog rotate` does, at most every watch.minRotateInterval.
//   - Engine events (start, die, destroy, rename): a started container's log is
//     watched; a container that dies has its drift classified at once, and a
//     suspicious one gets its bundle and an alert. The stream is followed again after
//     the engine comes back, from where it broke (`since`).
//   - Space every watch.spaceInterval: statfs (a thin pool's figures every minute); a
//     threshold crossed, or a log or the space growing so fast the space left lasts less
//     than watch.horizon (core/runaway.ts), starts a full pass at once, which alerts.
//   - A full pass (pipeline/full-pass.ts) every watch.interval.
// Each step that touches the store holds the run lock for that step only, one step at a
// time, so `check` and `report` run between them; the daemon's lease tells them it runs.

import { statSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { watchLogs, type LogWatch } from '../collect/log-watch.js';
import { StoppingError } from '../act/in-flight.js';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { actionFindings, rotationActions, type RotationResult } from '../core/actions.js';
import { driftFindings } from '../core/drift.js';
import { spaceFindings } from '../core/evaluate.js';
import type { Point } from '../core/forecast.js';
import { MINUTE, SECOND } from '../core/durations.js';
import type { EngineFacts, Finding, Storage } from '../core/model.js';
import { crossedLimit } from '../core/plan-rotate.js';
import { renderMetrics } from '../core/metrics.js';
import { buildMetricsReport, type MetricsReport } from '../core/report.js';
import { runawayFindings } from '../core/runaway.js';
import { filesystemInodes, filesystemSpace, filesystemStorage, thinPoolStorage } from '../core/storage.js';
import { connectEngine, type EngineClient } from '../engine/client.js';
import { resolveHost } from '../engine/host.js';
import { EngineUnreachableError, UnknownError, UsageError, WatchdogError } from '../errors.js';
import { readDaemonRecord, writeDaemonRecord } from '../state/daemon.js';
import type { StoreMetrics } from '../state/metrics.js';
import { takeDaemonLease } from './daemon-lease.js';
import { driftWithBundles } from './drift.js';
import { fullPass, type FullPass } from './full-pass.js';
import { gather } from './gather.js';
import type { Io } from './io.js';
import { NO_PROGRESS } from './progress.js';
import { rotateLogs } from './rotation.js';
import type { Run, RunOptions } from './run.js';
import { statePathOf, withStore } from './store.js';
import { storeWrite } from './store-writes.js';
import { exposition, readStoreMetrics, WATCHDOG_VERSION } from './metrics.js';
import { serveMetrics, showAddress, type ListenAddress, type MetricsServer } from './metrics-server.js';

/** One line of the daemon's log: an event name, a sentence, and fields for scripts. */
export type Say = (event: string, message: string, fields?: Record<string, unknown>) => void;

export interface DaemonHooks {
  /** SIGHUP: reload the configuration. */
  onHangup(handler: () => void): void;
}

/** Reconnection to an engine that went away: 1 s, doubling, at most 30 s between tries. */
const BACKOFF_FIRST_MS = SECOND;
const BACKOFF_MAX_MS = 30 * SECOND;
/** The thin pool's figures come from `docker info`: asked once a minute, not every tick. */
const THIN_POOL_EVERY_MS = MINUTE;
/** Growth samples older than this are dropped (core/runaway.ts reads the last minute). */
const SAMPLES_KEPT_MS = 2 * MINUTE;
/** After a change, the size is read again this much later (chokidar's throttle). */
const RECHECK_MS = 200;
/** Deaths and alarms that arrive together make one pass. */
const URGENT_DELAY_MS = 200;

interface Tracked {
  containerId: string;
  name: string;
  path: string;
  bytes: number;
  /** Bytes written since the daemon started watching it: rotations do not subtract. */
  written: number;
  points: Point[];
  /** When the daemon first saw it over logs.maxSize; null while within. */
  overLimitAt: number | null;
  /** The last rotation that was done. */
  lastRotatedAt: number | null;
  /** After a rotation that failed or was skipped: not again before this. */
  retryAt: number | null;
  /** Rotations failed in a row: one is a moment (the next try usually works), two are a finding. */
  failures: number;
  /** Its file is watched for changes; not while it is over the limit (below). */
  watched: boolean;
  timer: NodeJS.Timeout | null;
  recheck: NodeJS.Timeout | null;
  rotating: boolean;
}

interface ContainerEvent {
  Type?: string;
  Action?: string;
  status?: string;
  id?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
  time?: number;
  timeNano?: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

function sizeOf(path: string): number | null {
  try {
    return statSync(path).size;
  } catch {
    return null;
  }
}

export interface DaemonOptions extends RunOptions {
  /** Serve GET /metrics there (issue #12); off when absent. */
  listen?: ListenAddress;
}

export async function runDaemon(options: DaemonOptions, io: Io, say: Say, hooks: DaemonHooks): Promise<void> {
  let config: Config = await loadConfig(options.config, io.env, true);
  const client: EngineClient = connectEngine(resolveHost(options.host, io.env));
  if (client.address.kind !== 'unix') {
    throw new UsageError(`watchdog watch needs the engine's files, so it runs on the engine's host against its unix socket, not ${client.address.url}.`);
  }
  const statePath = statePathOf(options, io);
  const lease = takeDaemonLease(statePath, io);
  const startedAt = io.now();
  const now = () => io.now().getTime();
  const warn = (message: string) => say('warning', message);

  let engine: EngineFacts | null = null;
  let storage: Storage | null = null;
  let stopped = false;
  let lost = false;
  const tracked = new Map<string, Tracked>();
  const byPath = new Map<string, Tracked>();
  /** Findings only the daemon can see, added to every pass so that no pass resolves them. */
  const suspicious = new Map<string, Finding[]>();
  const rotationTrouble = new Map<string, Finding[]>();
  let runaway: Finding[] = [];
  // The metrics (issue #12): the last full pass's report, with the space figures and
  // runaway logs of the last space tick.
  let lastReport: MetricsReport | null = null;
  let fromStore: StoreMetrics | null = null;
  let tickAt: Date | null = null;
  const liveFindings = () => [...runaway, ...[...suspicious.values()].flat(), ...[...rotationTrouble.values()].flat()];

  // One step at a time, each holding the run lock for itself only.
  let queue: Promise<unknown> = Promise.resolve();
  function exclusive<T>(what: string, work: (run: Run) => Promise<T>): Promise<T | null> {
    const step = queue.then(async () => {
      if (stopped) return null;
      try {
        return await withStore(options, io, async (store) => {
          const run: Run = { config, client, db: store.db, statePath: store.path, storeProblems: store.problems, io, warn, progress: NO_PROGRESS, opening: null };
          const result = await work(run);
          // What a scrape shows of the store (counters, undelivered alerts) is read
          // while the step holds it: a scrape never waits for the lock.
          fromStore = readStoreMetrics(run) ?? fromStore;
          return result;
        });
      } catch (error) {
        if (error instanceof StoppingError) return null;
        if (!(error instanceof WatchdogError)) throw error;
        if (error instanceof EngineUnreachableError) markLost(error.message);
        else say('error', `${what} failed: ${error.message}`);
        return null;
      }
    });
    queue = step.catch(() => {});
    return step;
  }

  function markLost(reason: string): void {
    if (lost) return;
    lost = true;
    say('engine-lost', `${reason.replace(/\.$/, '')}; watching space meanwhile, and trying again (at most every ${BACKOFF_MAX_MS / SECOND} s)`);
  }

  // --- Logs ---------------------------------------------------------------------------
  let saidPolling = false;
  const logs: LogWatch = watchLogs(
    {
      size: (path, bytes) => {
        const t = byPath.get(path);
        if (!t) return;
        grew(t, bytes);
        consider(t);
        // chokidar drops the changes that follow one within 50 ms, and sends none after
        // them: a burst that ends just past the limit would show only its first bytes.
        // The size is read once more when a burst may be over.
        t.recheck ??= setTimeout(() => {
          t.recheck = null;
          const latest = sizeOf(t.path);
          if (latest === null || !tracked.has(t.containerId)) return;
          grew(t, latest);
          consider(t);
        }, RECHECK_MS);
      },
      polling: (polled, reason) => {
        // Said once; report shows the count, which the record keeps.
        if (!saidPolling) say('polling', `${reason}: log files that cannot be watched are polled once a second from now on (report says how many)`, { paths: polled });
        saidPolling = true;
        void exclusive('the daemon record', async (run) => void recordDaemon(run, null));
      },
      error: (message) => say('warning', `watching the logs: ${message}`),
    },
  );

  function grew(t: Tracked, bytes: number): void {
    // A smaller file was rotated (by us or by hand): all of it is new since.
    t.written += bytes >= t.bytes ? bytes - t.bytes : bytes;
    t.bytes = bytes;
  }

  function track(c: { containerId: string; name: string; path: string }): void {
    if (tracked.has(c.containerId)) return;
    const bytes = sizeOf(c.path);
    if (bytes === null) return;
    const t: Tracked = { ...c, bytes, written: 0, points: [], overLimitAt: null, lastRotatedAt: null, retryAt: null, failures: 0, watched: false, timer: null, recheck: null, rotating: false };
    tracked.set(c.containerId, t);
    byPath.set(c.path, t);
    say('watching', `watching the log of ${c.name}`, { container: c.name, containerId: c.containerId, path: c.path });
    consider(t);
  }

  function untrack(containerId: string): void {
    const t = tracked.get(containerId);
    if (!t) return;
    if (t.timer) clearTimeout(t.timer);
    if (t.recheck) clearTimeout(t.recheck);
    tracked.delete(containerId);
    byPath.delete(t.path);
    logs.remove(t.path);
  }

  /**
   * A log's file is watched only while it is within the limit, to see the crossing. Over
   * it, the rotation is due at a known time and the writes in between need no event:
   * a writer at full speed makes an inotify event per write, and handling them was
   * half of the daemon's CPU under bench:watch's writer (issue #11). The space tick
   * still samples its size.
   */
  function watchFile(t: Tracked, on: boolean): void {
    if (t.watched === on) return;
    t.watched = on;
    if (on) logs.add(t.path);
    else logs.pause(t.path);
  }

  /** When its rotation is due, as the issue counts latency: from the crossing, or from
   *  the end of minRotateInterval after the last rotation that was done. */
  const dueOf = (t: Tracked, overLimitAt: number) => Math.max(overLimitAt, (t.lastRotatedAt ?? -Infinity) + config.watch.minRotateInterval);

  /** Rotates a log over the limit, now or once minRotateInterval has passed since its last. */
  function consider(t: Tracked): void {
    if (stopped || t.rotating || t.timer) return;
    const at = now();
    if (t.bytes <= config.logs.maxSize) {
      t.overLimitAt = null;
      watchFile(t, true);
      return;
    }
    watchFile(t, false);
    // While the engine is away it cannot be paused: engine-back looks at every log again.
    if (lost) return;
    t.overLimitAt ??= at;
    const startAt = Math.max(dueOf(t, t.overLimitAt), t.retryAt ?? -Infinity);
    if (startAt > at) {
      t.timer = setTimeout(() => {
        t.timer = null;
        consider(t);
      }, startAt - at);
      return;
    }
    void rotateTracked(t, dueOf(t, t.overLimitAt));
  }

  async function rotateTracked(t: Tracked, dueAt: number): Promise<void> {
    t.rotating = true;
    const overLimitAt = t.overLimitAt ?? dueAt;
    let result: RotationResult | undefined;
    try {
      const rotation = await exclusive(`the rotation of ${t.name}`, (run) => rotateLogs(run, { engine }, [crossedLimit({ containerId: t.containerId, name: t.name, logPath: t.path, bytes: t.bytes }, config.logs.maxSize)], false));
      result = rotation?.results[0];
    } finally {
      t.rotating = false;
    }
    if (!result) return; // the engine went away, or the daemon is stopping: tried again later
    const at = now();
    const fields = { container: t.name, containerId: t.containerId, code: result.code };
    if (result.outcome === 'done') {
      t.lastRotatedAt = at;
      t.retryAt = null;
      t.failures = 0;
      t.overLimitAt = null;
      rotationTrouble.delete(t.containerId);
      say('rotated', `rotated the log of ${t.name} into ${result.archive}`, {
        ...fields,
        archive: result.archive,
        bytesArchived: result.bytesArchived,
        pauseMs: result.pauseMs,
        overLimitAt: new Date(overLimitAt).toISOString(),
        dueAt: new Date(dueAt).toISOString(),
        latencyMs: at - dueAt,
      });
    } else {
      say(result.outcome === 'failed' ? 'rotation-failed' : 'rotation-skipped', `${t.name}: ${result.message}`, fields);
      if (result.code === 'gone') return untrack(t.containerId);
      // Not again at once: a failure that repeats must not make the daemon spin.
      t.retryAt = at + config.watch.minRotateInterval;
      t.failures++;
      const trouble = actionFindings(rotationActions([result]));
      const critical = trouble.some((f) => f.severity === 'critical');
      // A failure the next try clears (the log grew while paused, on a loaded host) is
      // no alert; twice in a row is, and a container left frozen is at once.
      if (trouble.length > 0 && (critical || t.failures >= 2)) rotationTrouble.set(t.containerId, trouble);
      if (critical) urgent(`the rotation of ${t.name} left it paused`);
    }
    const bytes = sizeOf(t.path);
    if (bytes !== null) grew(t, bytes);
    consider(t);
  }

  /** The logs to watch are those a full pass found: running, json-file, no max-size. */
  function syncTracked(pass: FullPass): void {
    const wanted = pass.pass.snapshot.containers.filter((c) => c.state === 'running' && c.logConfig.driver === 'json-file' && !c.logConfig.bounded && c.logPath && c.logFiles);
    const ids = new Set(wanted.map((c) => c.id));
    for (const id of [...tracked.keys()]) if (!ids.has(id)) untrack(id);
    for (const c of wanted) {
      const t = tracked.get(c.id);
      if (t) {
        t.name = c.name;
        const bytes = sizeOf(t.path);
        if (bytes !== null) grew(t, bytes);
        consider(t);
      } else {
        track({ containerId: c.id, name: c.name, path: c.logPath! });
      }
    }
  }

  // --- Passes -------------------------------------------------------------------------
  let lastFullPassAt: string | null = null;
  /** What `report` shows of the daemon: kept in the store, beside its lease. */
  function recordDaemon(run: Run, fullPassAt: Date | null): void {
    if (fullPassAt) lastFullPassAt = fullPassAt.toISOString();
    storeWrite(run, 'the daemon record', () => writeDaemonRecord(run.db, { pid: process.pid, since: startedAt.toISOString(), lastFullPassAt, polledLogs: logs.polled(), suspicious: [...suspicious.keys()] }));
  }
  const dying = new Set<string>();

  async function passNow(reason: string): Promise<void> {
    const started = now();
    const ids = [...dying];
    dying.clear();
    if (ids.length > 0) await classifyDeaths(ids);
    const full = await exclusive('the full pass', async (run) => {
      const done = await fullPass(run, { dryRun: false, rotate: false, act: true, extraFindings: liveFindings() });
      recordDaemon(run, done.pass.now);
      lastReport = buildMetricsReport(done.pass.snapshot, done.findings, done.pass.timings, done.pass.trends);
      exposition(run, lastReport);
      return done;
    });
    if (!full) return;
    engine = full.pass.snapshot.engine ?? engine;
    storage = full.pass.snapshot.storage ?? storage;
    // Each running-drift check with what it cost (RUNNING_DRIFT, issue #13).
    for (const c of full.runningDrift.checks) {
      say('running-drift', `running drift ${c.name}: ${c.status}, ${c.changes} change${c.changes === 1 ? '' : 's'}, docker diff took ${Math.round(c.durationMs)} ms`, { container: c.name, containerId: c.containerId, status: c.status, changes: c.changes, durationMs: c.durationMs });
    }
    for (const a of full.actions.filter((a) => a.news)) say('action', `${a.action} ${a.target}: ${a.message}`, { action: a.action, container: a.target, containerId: a.containerId, outcome: a.outcome });
    const sent = full.notified?.notifications ?? [];
    if (sent.length > 0) say('alert', `alerted: ${sent.map((n) => `${n.kind} ${n.key}`).join(', ')}`, { sent: full.notified?.delivery?.sent ?? 0, keys: sent.map((n) => n.key) });
    syncTracked(full);
    say('full-pass', `full pass (${reason}): ${full.findings.length} finding${full.findings.length === 1 ? '' : 's'} in ${now() - started} ms`, { reason, durationMs: now() - started, findings: full.findings.length });
  }

  /** On `die`: the drift of each container that ended, classified now (the rules of
   *  `watchdog drift`), with a bundle for a suspicious one; the pass after alerts. */
  async function classifyDeaths(ids: string[], inherited = false): Promise<void> {
    await exclusive('the drift of ended containers', async (run) => {
      const pass = await gather(run, 'skip');
      // Engine 26.1 may still list a container that died as running: the event is trusted.
      const ended = pass.snapshot.containers.filter((c) => ids.includes(c.id));
      // The ones a daemon before this one found have their bundle already (dry run: none
      // is written again), and were told in its log.
      const { rows, actions } = await driftWithBundles(run, ended, inherited);
      for (const row of rows) {
        const found = driftFindings([row], run.config.audit.severity);
        if (found.length > 0) suspicious.set(row.containerId, found);
        if (inherited) continue;
        const verdict = row.error ? `its drift could not be read (${row.error})` : row.drift?.status === 'suspicious' ? `suspicious: ${row.drift.reason}` : (row.drift?.reason ?? 'no drift');
        say('drift', `${row.name} ended; ${verdict}${row.bundle ? `; bundle ${row.bundle}` : ''}`, { container: row.name, containerId: row.containerId, suspicious: found.length > 0, bundle: row.bundle });
      }
      for (const a of actions) say('action', `${a.action} ${a.target}: ${a.message}`, { action: a.action, container: a.target, containerId: a.containerId, outcome: a.outcome });
      for (const f of actionFindings(actions)) if (f.containerId) suspicious.set(f.containerId, [...(suspicious.get(f.containerId) ?? []), f]);
    });
  }

  let urgentTimer: NodeJS.Timeout | null = null;
  function urgent(reason: string): void {
    if (urgentTimer || stopped) return;
    urgentTimer = setTimeout(() => {
      urgentTimer = null;
      void passNow(reason);
    }, URGENT_DELAY_MS);
  }

  // --- Space --------------------------------------------------------------------------
  const spacePoints: Point[] = [];
  let thinPoolAskedAt = -Infinity;
  let spaceLevels = new Set<string>();

  /** The space now; `fresh` false when the figures are the last ones (a thin pool
   *  between its minutely asks, or while the engine is away; zfs and unknown drivers,
   *  which only a full pass measures). */
  async function measureSpace(): Promise<{ storage: Storage; fresh: boolean } | null> {
    if (!engine || !storage) return null;
    if (storage.source === 'thin-pool') {
      if (lost || now() - thinPoolAskedAt < THIN_POOL_EVERY_MS) return { storage, fresh: false };
      thinPoolAskedAt = now();
      return { storage: thinPoolStorage((await client.info()).DriverStatus ?? []), fresh: true };
    }
    if (storage.source !== 'filesystem') return { storage, fresh: false };
    const measured = filesystemStorage(engine.dockerRootDir, await statfs(engine.dockerRootDir));
    if (storage.imageStore) {
      const stats = await statfs(storage.imageStore.path);
      measured.imageStore = { path: storage.imageStore.path, data: filesystemSpace(stats), inodes: filesystemInodes(stats) };
    }
    return { storage: measured, fresh: true };
  }

  async function spaceTick(): Promise<void> {
    let space: Awaited<ReturnType<typeof measureSpace>>;
    try {
      space = await measureSpace();
    } catch (error) {
      if (error instanceof EngineUnreachableError) markLost(error.message);
      else say('warning', `measuring the space: ${(error as Error).message}`);
      return;
    }
    if (!space) return;
    const measured = space.storage;
    storage = { ...measured, note: storage?.note ?? null };
    // What the metrics call the time of the figures: only figures measured now.
    if (space.fresh) tickAt = io.now();
    const at = now();
    const data = measured.data;
    if (data) spacePoints.push({ at, value: data.usedBytes });
    while (spacePoints.length > 0 && spacePoints[0]!.at < at - SAMPLES_KEPT_MS) spacePoints.shift();
    for (const t of tracked.values()) {
      // Every log's size, read here too: one over the limit is not watched (watchFile),
      // and a change inotify did not tell (or chokidar dropped) is seen within a tick.
      const bytes = sizeOf(t.path);
      if (bytes !== null) grew(t, bytes);
      t.points.push({ at, value: t.written });
      while (t.points.length > 0 && t.points[0]!.at < at - SAMPLES_KEPT_MS) t.points.shift();
      consider(t);
    }
    const found = runawayFindings({
      now: at,
      horizonMs: config.watch.horizon,
      space: data ? { name: 'data', availableBytes: data.availableBytes, points: spacePoints } : null,
      logs: [...tracked.values()].map((t) => ({ containerId: t.containerId, name: t.name, points: t.points })),
    });
    const keyOf = (f: Finding) => `${f.code}:${f.containerId ?? ''}`;
    const before = new Set(runaway.map(keyOf));
    runaway = found;
    const fresh = found.filter((f) => !before.has(keyOf(f)));
    for (const f of fresh) say('runaway', f.message, { code: f.code, container: f.subject ?? null, containerId: f.containerId ?? null, bytesPerSecond: f.bytesPerSecond, secondsLeft: data && f.bytesPerSecond ? Math.round(data.availableBytes / f.bytesPerSecond) : null });
    const levels = new Set(spaceFindings({ storage: measured }, config.thresholds).map((f) => `${f.space} ${f.severity}`));
    const crossed = [...levels].filter((level) => !spaceLevels.has(level));
    spaceLevels = levels;
    // Worse news goes out at once; an end (the growth stopped, the space is back under
    // its threshold) waits for the next pass, so that a level that wavers does not start
    // a pass every tick.
    if (fresh.length > 0) urgent('runaway growth');
    else if (crossed.length > 0) urgent(`space threshold crossed (${crossed.join(', ')})`);
  }

  // --- Engine events ------------------------------------------------------------------
  let stream: NodeJS.ReadableStream | null = null;
  const seen = new Set<string>();

  async function onEvent(e: ContainerEvent): Promise<void> {
    const action = e.Action ?? e.status ?? '';
    const id = e.Actor?.ID ?? e.id;
    if (!id || (e.Type && e.Type !== 'container')) return;
    // After a reconnection the engine replays from the second it broke at.
    const key = `${id}:${action}:${e.timeNano ?? e.time}`;
    if (seen.has(key)) return;
    if (seen.size > 10_000) seen.clear();
    seen.add(key);
    if (action === 'start') {
      const inspect = await client.inspectContainer(id).catch(() => null);
      const logConfig = inspect?.HostConfig?.LogConfig;
      if (!inspect?.LogPath || (logConfig?.Type ?? 'json-file') !== 'json-file' || logConfig?.Config?.['max-size']) return;
      track({ containerId: id, name: (inspect.Name ?? id).replace(/^\//, ''), path: inspect.LogPath });
    } else if (action === 'die') {
      untrack(id);
      dying.add(id);
      urgent('a container ended');
    } else if (action === 'destroy') {
      untrack(id);
      suspicious.delete(id);
      rotationTrouble.delete(id);
    } else if (action === 'rename') {
      const t = tracked.get(id);
      const name = e.Actor?.Attributes?.name;
      if (t && name) t.name = name.replace(/^\//, '');
    }
  }

  async function followEvents(): Promise<void> {
    let since = Math.floor(startedAt.getTime() / 1000);
    let backoff = BACKOFF_FIRST_MS;
    while (!stopped) {
      try {
        await client.ping();
        stream = await client.containerEvents(since);
      } catch (error) {
        if (!(error instanceof WatchdogError)) throw error;
        markLost(error.message);
        await sleep(backoff);
        backoff = Math.min(backoff * 2, BACKOFF_MAX_MS);
        continue;
      }
      backoff = BACKOFF_FIRST_MS;
      if (lost) {
        lost = false;
        say('engine-back', 'the engine answers again: following its events from where they broke off, and listing its containers again');
        void passNow('the engine is back');
      }
      // Its error, if any, ends the loop below (caught there); none may go unheard.
      stream.on('error', () => {});
      const lines = createInterface({ input: stream as NodeJS.ReadableStream & AsyncIterable<string> });
      try {
        for await (const line of lines) {
          if (!line.trim()) continue;
          let event: ContainerEvent;
          try {
            event = JSON.parse(line) as ContainerEvent;
          } catch {
            continue;
          }
          if (typeof event.time === 'number') since = Math.max(since, event.time);
          await onEvent(event).catch((error: Error) => say('warning', `handling a ${event.Action ?? event.status} event: ${error.message}`));
        }
      } catch {
        // The connection was cut (the engine died: "aborted", ECONNRESET): as an end.
      }
      stream = null;
      // The stream ended: the engine stopped or restarted. The next ping says which.
      if (!stopped) await sleep(BACKOFF_FIRST_MS / 4);
    }
  }

  // --- Metrics ------------------------------------------------------------------------
  /** What a scrape gets: the last pass's report with the space and runaway logs of the
   *  last tick, so a disk filling shows within watch.spaceInterval; null before the
   *  first pass. */
  function currentMetrics(): string | null {
    if (!lastReport) return null;
    const report = lastReport;
    const takenAt = tickAt && tickAt.getTime() > Date.parse(report.generatedAt) ? tickAt.toISOString() : report.generatedAt;
    // While the engine is away the engine collector is down: the figures of the last
    // pass are not news (DockerWatchdogCollectorFailed).
    const collectors = lost ? [...report.collectors.filter((c) => c.collector !== 'engine'), { collector: 'engine', seconds: 0, ok: false }] : report.collectors;
    return renderMetrics({
      version: WATCHDOG_VERSION,
      store: fromStore,
      report: {
        ...report,
        collectors,
        generatedAt: takenAt,
        storage: report.storage && storage ? { ...report.storage, ...storage } : report.storage,
        findings: [...report.findings.filter((f) => f.code !== 'RUNAWAY_LOG' && f.code !== 'SPACE_RUNAWAY'), ...runaway],
      },
    });
  }

  // --- Timers, signals, start ---------------------------------------------------------
  let spaceTimer: NodeJS.Timeout | null = null;
  let passTimer: NodeJS.Timeout | null = null;
  function startTimers(): void {
    if (spaceTimer) clearInterval(spaceTimer);
    if (passTimer) clearInterval(passTimer);
    spaceTimer = setInterval(() => void spaceTick(), config.watch.spaceInterval);
    passTimer = setInterval(() => void passNow('every watch.interval'), config.watch.interval);
  }

  hooks.onHangup(() => {
    loadConfig(options.config, io.env, true).then(
      (next) => {
        config = next;
        startTimers();
        say('reloaded', `configuration reloaded from ${options.config ?? 'the default path'}`);
        for (const t of tracked.values()) consider(t);
      },
      (error: Error) => say('reload-failed', `the configuration was not reloaded, the one in use is kept: ${error.message}`),
    );
  });

  let metricsServer: MetricsServer | null = null;
  let finished: () => void = () => {};
  const done = new Promise<void>((resolve) => (finished = resolve));
  // SIGTERM and SIGINT (main.ts): whatever rotation is frozen is thawed by its own undo;
  // this one ends the daemon's loops and lets go of the lease.
  io.inFlight.add(async (why) => {
    stopped = true;
    const signal = why.startsWith('SIG') ? why : null;
    say('stopping', `stopping (${signal ?? 'an unexpected error'}): nothing new is started, and a container paused for a rotation is unpaused first`, { signal });
    for (const timer of [spaceTimer, passTimer, urgentTimer]) if (timer) clearTimeout(timer);
    for (const t of tracked.values()) for (const timer of [t.timer, t.recheck]) if (timer) clearTimeout(timer);
    (stream as { destroy?: () => void } | null)?.destroy?.();
    await metricsServer?.close();
    await logs.close();
    lease.release();
    finished();
  });

  // Bound before the first pass: an address that cannot be had stops the daemon before
  // it acts. Until that pass ends a scrape gets 503.
  metricsServer = options.listen ? await serveMetrics(options.listen, currentMetrics, warn) : null;
  if (metricsServer) say('listening', `metrics at http://${showAddress(metricsServer.address)}/metrics`, { address: showAddress(metricsServer.address) });

  let facts: EngineFacts | null;
  try {
    // The first pass must reach the engine: without its facts there is nothing to watch.
    await client.ping();
    const inherited = await exclusive('the record of the daemon before', async (run) => readDaemonRecord(run.db)?.suspicious ?? []);
    if (inherited && inherited.length > 0) await classifyDeaths(inherited, true);
    await passNow('start');
    // Set by the pass (TypeScript cannot see through the closure).
    facts = engine as EngineFacts | null;
    if (!facts) throw new UnknownError('watchdog watch could not read the engine facts (see watchdog report); not watching.');
    if (!facts.local) throw new UsageError(`watchdog watch needs the engine's files, and ${facts.dockerRootDir} is not readable from here; run it as root on the engine's host.`);
  } catch (error) {
    // An open socket or watch would keep the process alive after the error: close them,
    // so that the daemon exits as its help says.
    await metricsServer?.close();
    await logs.close();
    throw error;
  }
  say('started', `watching ${tracked.size} log${tracked.size === 1 ? '' : 's'} of engine ${facts.id} (${facts.dockerRootDir}), pid ${process.pid}`, {
    pid: process.pid,
    engineId: facts.id,
    dockerRootDir: facts.dockerRootDir,
    logs: tracked.size,
  });
  startTimers();
  void spaceTick();
  followEvents().catch((error: unknown) => {
    // A bug: end as main.ts ends any unexpected error, and let systemd restart the daemon.
    process.nextTick(() => {
      throw error;
    });
  });
  await done;
}
