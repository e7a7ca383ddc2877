// One pass of collection. Each collector runs on its own: one that fails becomes a
// COLLECTOR_FAILED finding and the others still report (node_exporter style). Only an
// engine that cannot be reached at all ends the run (exit 3).

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { CollectorFailure, CollectorTiming, ContainerFacts, EngineFacts, Snapshot, Storage, Usage } from '../core/model.js';
import { isExited } from '../core/model.js';
import { parseSystemDf } from '../core/usage.js';
import type { EngineClient, Opening } from '../engine/client.js';
import type { ContainerdClient } from '../engine/containerd.js';
import type { ContainerSummary, InfoResponse } from '../engine/shapes.js';
import { EngineUnreachableError } from '../errors.js';
import { readHostAudit, type AuditSources } from './audit.js';
import { collectContainers, containersOnDisk, holdsThisEngine, type ContainersResult, type ExitedCache, type ProgressReporter } from './containers.js';
import { collectEngine } from './engine.js';
import { footprintPaths, measureFootprint, snapshotFootprintPaths } from './footprint.js';
import { measureLog } from './logs.js';
import { containerdEndpoint, openContainerd, snapshotDirsOf, snapshotterRoot } from './snapshots.js';
import { collectStorage } from './storage.js';

export interface CollectOptions {
  now: Date;
  /** The engine's first answers, if they were asked already (EngineClient.opening). */
  opening?: Opening | null;
  /** CONTAINERD_ADDRESS and CONTAINERD_NAMESPACE (collect/snapshots.ts). */
  env: Readonly<Record<string, string | undefined>>;
  /** A recent `docker system df` answer of this engine (by its ID) to use instead of
   *  asking again (issue #3). */
  recentUsage?: (engineId: string) => Usage | null;
  /** Leave `docker system df` out altogether (the actions do not need it). */
  skipUsage?: boolean;
  /** What earlier runs measured about this engine's (by its ID) containers (all of an
   *  exited one, the inspect facts of an active one); null to measure everything. */
  exitedCache?: (engineId: string) => ExitedCache | null;
  /** Collect the host's side of the audit (issue #13) from these files; absent: not. */
  audit?: AuditSources | null;
  /** Told how far the inspects and footprints are (the progress line, issue #14). */
  progress?: ProgressReporter;
  /** A full garbage collection (Io.collectGarbage), called as the inspects go. */
  collectGarbage?: () => void;
}

/** Runs `read` now, for a collector that finishes later: its time (told to `took`) and,
 *  should it throw, its error, are that collector's. */
function readEarly<T>(read: () => T, took: (ms: number) => void): T | Error {
  const started = performance.now();
  try {
    return read();
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  } finally {
    took(performance.now() - started);
  }
}

/** A df answer of this many characters or more is parsed after a garbage collection:
 *  a million is about 1,400 containers' worth. */
const BIG_DF_ANSWER = 1_000_000;

export async function collectSnapshot(client: EngineClient, options: CollectOptions): Promise<{ snapshot: Snapshot; timings: CollectorTiming[] }> {
  const failures: CollectorFailure[] = [];
  const timings: CollectorTiming[] = [];

  /** `movedMs`: time to move into this collector's figure from another's (the footprints
   *  walked between inspects count for `footprint`, not `containers`). */
  const run = async <T>(collector: string, work: () => Promise<T>, counts?: (result: T) => { measured: number; cached: number }, movedMs = () => 0): Promise<T | null> => {
    const started = performance.now();
    try {
      const result = await work();
      timings.push({ collector, seconds: (performance.now() - started + movedMs()) / 1000, ok: true, ...counts?.(result) });
      return result;
    } catch (error) {
      // Nothing else can be learnt from an engine that is gone.
      if (error instanceof EngineUnreachableError) throw error;
      timings.push({ collector, seconds: (performance.now() - started + movedMs()) / 1000, ok: false });
      failures.push({ collector, message: (error as Error).message });
      return null;
    }
  };

  /** Runs `work` on each item; one that fails is left unmeasured and the failures are
   *  reported once for the collector, so one odd container never hides the others.
   *  The file measurements are synchronous (see files.ts), so a plain loop. */
  const eachItem = async <T>(collector: string, items: T[], work: (item: T) => void, errors: string[] = [], tried = 0): Promise<void> => {
    for (const [i, item] of items.entries()) {
      try {
        work(item);
      } catch (error) {
        errors.push((error as Error).message);
      }
      options.progress?.('measuring', i + 1, items.length);
    }
    if (errors.length > 0) failures.push({ collector, message: `${errors.length} of ${items.length + tried} failed, first: ${errors[0]}` });
  };

  // The ping, the engine facts and the active containers are asked at once (a failure of
  // the last two is reported below); on a local engine the other containers are its
  // containers/ folders. withRun asks them while the store opens.
  const opening = options.opening ?? client.opening();
  // The host's side of the audit (a stat, two small files and the dockerd's command
  // line) needs none of the engine's answers: read while they come (audit.ts).
  const auditSources = options.audit;
  let readAuditMs = 0;
  const hostAudit = auditSources ? readEarly(() => readHostAudit(client.address, auditSources), (ms) => (readAuditMs = ms)) : null;
  await opening.ping;
  const activePromise = opening.active;
  const engineResult = await run<{ engine: EngineFacts; info: InfoResponse }>('engine', () => collectEngine(client, opening.info));
  const engine = engineResult?.engine ?? null;

  // df is the slowest call on a real host (it walks every writable layer): it runs
  // while the rest is collected, unless a recent answer of this engine can be reused.
  // A big answer is parsed on a freshly collected heap: at 10,000 containers its 7 MB
  // of JSON is the largest thing a cold scan holds at once, and it comes in as the
  // scan ends, when the heap is at its fullest (issue #14).
  const dfAnswered = (length: number) => {
    if (length >= BIG_DF_ANSWER) options.collectGarbage?.();
  };
  const recent = engine && options.recentUsage ? options.recentUsage(engine.id) : null;
  const usagePromise = options.skipUsage
    ? Promise.resolve(null)
    : recent
      ? run<Usage>('usage', async () => recent, () => ({ measured: 0, cached: 1 }))
      : run<Usage>('usage', async () => parseSystemDf(await client.systemDf(dfAnswered), options.now), () => ({ measured: 1, cached: 0 }));

  const cache = engine && options.exitedCache ? options.exitedCache(engine.id) : null;

  const audit = hostAudit
    ? await run(
        'audit',
        async () => {
          if (hostAudit instanceof Error) throw hostAudit;
          const { audit, failures: problems } = hostAudit(engineResult?.info ?? null);
          for (const message of problems) failures.push({ collector: 'audit', message });
          return audit;
        },
        undefined,
        () => readAuditMs,
      )
    : null;

  // An exited container's footprint is walked as soon as its facts are in (read from
  // the engine's files, or while the next inspects are at the engine), issue #14: on a
  // cold scan of 1,000 containers the inspects (0.67-0.79 s) and then the walk
  // (0.51-0.72 s) took 1.2-1.5 s, together 1.2 s. At 5,000 this process's one thread is
  // the limit: the walk is 3.3 to 3.7 s of lstat and readdir (du(1) takes 1.8 s over
  // the same folders). On the containerd image store the walk needs containerd's
  // answer for all of them first.
  const walked = new Set<string>();
  const walkErrors: string[] = [];
  let walkMs = 0;
  const walkEarly =
    engine?.local && !engine.containerdImageStore
      ? (c: ContainerFacts) => {
          if (!isExited(c.state)) return;
          const started = performance.now();
          walked.add(c.id);
          try {
            c.footprint = measureFootprint(footprintPaths(engine.dockerRootDir, engine.storageDriver, c.id));
          } catch (error) {
            walkErrors.push((error as Error).message);
          }
          walkMs += performance.now() - started;
        }
      : undefined;

  // What every scan reports as it goes, however its containers were found.
  const scanHooks = { progress: options.progress, collectGarbage: options.collectGarbage };

  /** Active containers from the engine, the rest from its folder; null when the folder
   *  is not this engine's (a remote engine's root may share its path with a local one). */
  const fromDisk = async ({ dockerRootDir: root, storageDriver }: EngineFacts, active: ContainerSummary[], info: InfoResponse): Promise<ContainersResult | null> => {
    const onDisk = new Set(containersOnDisk(root));
    if (!(await holdsThisEngine(client, root, onDisk, active, info.Containers ?? 0, cache))) return null;
    const activeIds = new Set(active.map((s) => s.Id));
    const idle = [...onDisk].filter((id) => !activeIds.has(id)).map((id) => ({ id, summary: null }));
    return collectContainers(client, [...active.map((s) => ({ id: s.Id, summary: s })), ...idle], { dockerRootDir: root, storageDriver }, cache, { ...scanHooks, factsIn: walkEarly });
  };

  const listed = await run(
    'containers',
    async () => {
      const active = await activePromise;
      let result = engine?.local ? await fromDisk(engine, active, engineResult!.info) : null;
      if (!result) {
        if (engine) engine.local = false;
        const all = await client.listContainers('all');
        result = await collectContainers(client, all.map((s) => ({ id: s.Id, summary: s })), null, null, scanHooks);
      }
      if (result.errors.length > 0) failures.push({ collector: 'containers', message: `${result.errors.length} of ${result.inspected} inspects failed, first: ${result.errors[0]}` });
      return result;
    },
    (r) => ({ measured: r.inspected + r.read, cached: r.cached }),
    () => -walkMs,
  );
  const containers: ContainerFacts[] = listed?.containers ?? [];

  // On the containerd image store only containerd knows where images and writable
  // layers are (issue #10). Its socket needs the same rights as the engine's files.
  const containerd = engine?.containerdImageStore && (engine.local || engine.sameHost) ? await openContainerd(containerdEndpoint(engineResult!.info, options.env)) : null;
  try {
    // Asked once: storage needs it, and its failure says whether containerd answers at all.
    const layersRoot = containerd ? snapshotterRoot(containerd, engine!.storageDriver) : null;
    layersRoot?.catch(() => {});

    const storage = engineResult ? await run<Storage>('storage', () => collectStorage(engineResult.engine, engineResult.info, layersRoot)) : null;
    if (!engineResult) failures.push({ collector: 'storage', message: 'skipped: it needs the engine facts that could not be collected' });

    if (engine && !engine.local && engine.sameHost) {
      failures.push({ collector: 'logs', message: `${engine.dockerRootDir} is not readable by this user, so log sizes and exited containers' footprints are unavailable; run as root` });
    }
    if (engine?.local) {
      const root = engine.dockerRootDir;
      // An exited container's log does not grow: what the cache holds of it stands.
      const unmeasured = containers.filter((c) => c.logFiles === null);
      await run(
        'logs',
        () => eachItem('logs', unmeasured, (c) => void (c.logFiles = measureLog(root, c))),
        () => ({ measured: unmeasured.length, cached: containers.length - unmeasured.length }),
      );
      const exited = containers.filter((c) => isExited(c.state));
      const fresh = exited.filter((c) => c.footprint === null && !walked.has(c.id));
      const measured = fresh.length + exited.filter((c) => walked.has(c.id)).length;
      await run(
        'footprint',
        async () => {
          const pathsOf = containerd && fresh.length > 0 ? await snapshotPathsOf(containerd, layersRoot!, engine, fresh) : (c: ContainerFacts) => footprintPaths(root, engine.storageDriver, c.id);
          await eachItem(
            'footprint',
            fresh,
            (c) => {
              const paths = pathsOf(c);
              c.footprint = paths === null ? null : measureFootprint(paths);
            },
            walkErrors,
            walked.size,
          );
        },
        () => ({ measured, cached: exited.length - measured }),
        () => walkMs,
      );
    }

    const usage = await usagePromise;
    // A container created after df was computed is not in it: its SizeRw is unknown.
    for (const container of containers) container.sizeRwBytes = usage?.sizeRwById[container.id] ?? null;

    return { snapshot: { takenAt: options.now, engine, storage, usage, containers, failures, ...(audit ? { audit } : {}) }, timings };
  } finally {
    containerd?.close();
  }
}

/** Each container's footprint paths on the containerd image store (snapshotDirsOf); a
 *  container containerd cannot place throws its own error when measured, so one odd
 *  container never hides the others. A containerd that does not answer the first
 *  question (the snapshotter's folder) fails the whole collector. */
async function snapshotPathsOf(containerd: ContainerdClient, layersRoot: Promise<string>, engine: EngineFacts, exited: ContainerFacts[]): Promise<(c: ContainerFacts) => string[] | null> {
  await layersRoot;
  const dirs = await snapshotDirsOf(containerd, engine.storageDriver, exited.map((c) => c.id));
  return (c) => {
    const found = dirs.get(c.id);
    if (found instanceof Error) throw found;
    if (found) return snapshotFootprintPaths(engine.dockerRootDir, c.id, found);
    // No snapshot: removed meanwhile (no folder either), or containerd was asked in the
    // wrong namespace, which must not read as a footprint of nothing.
    if (!existsSync(join(engine.dockerRootDir, 'containers', c.id))) return null;
    const { address, namespace, foundBy } = containerd.endpoint;
    const next = foundBy === 'docker info' ? 'the engine named that namespace: is the watchdog asking the containerd the engine uses?' : 'if the engine keeps its containers in another, set CONTAINERD_NAMESPACE';
    throw new Error(`containerd at ${address} has no snapshot ${c.id.slice(0, 12)} in namespace ${namespace}; ${next}`);
  };
}
