// Containers collector: every container with its state, finishedAt, image and log
// configuration. One inspect per container, a few at a time so the engine stays
// responsive for everyone else, except for containers whose facts the state store
// already holds and that have not changed since: exited ones (issue #3), and running
// ones too (issue #14: the bench's 50 running containers' inspects cost 25-38 ms of a
// warm report's 240-280 ms at 1,000 exited containers). A running container with a
// health check is inspected again after each probe: the engine rewrites its state.
// On a local engine, a finished container the cache does not know is read from the
// engine's own files instead (collect/container-files.ts, issue #14).
//
// Which containers there are: on a local engine, the engine lists only the active ones
// (running, paused, restarting) and the rest are the folders of its containers/
// directory. Listing all of them costs the engine 124 ms at 1,000 exited containers
// against 25 ms for the active ones (issue #8), and a host with thousands of finished
// jobs pays that on every run; the folders are read in a millisecond.

import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import pMap from 'p-map';
import type { BindMount, ContainerFacts, ContainerSecurity, ExitedFacts, Footprint, LogFiles } from '../core/model.js';
import { isExited } from '../core/model.js';
import { normalizePath } from '../core/audit.js';
import { logConfigFacts } from '../core/logs.js';
import type { EngineClient } from '../engine/client.js';
import { timeOrNull, type ContainerInspect, type ContainerSummary } from '../engine/shapes.js';
import { EngineUnreachableError } from '../errors.js';
import { readContainerFiles } from './container-files.js';

/** What earlier runs measured about containers (the state store keeps it). */
export interface ExitedCache {
  /** The entry for this container if its change token still matches; of an active
   *  container only its inspect facts are used. */
  lookup(id: string, changeToken: string): { facts: ExitedFacts; footprint: Footprint | null; logFiles: LogFiles | null } | null;
  /** Runs `work`, a synchronous pass of lookups, as one read of the store. */
  inOneRead<T>(work: () => T): T;
}

const INSPECT_CONCURRENCY = 8;

export function containerFacts(summary: ContainerSummary, inspect: ContainerInspect, changeToken: string | null): ContainerFacts {
  const logConfig = inspect.HostConfig?.LogConfig;
  return measuredFacts(
    {
      id: inspect.Id,
      name: (inspect.Name ?? summary.Names?.[0] ?? inspect.Id.slice(0, 12)).replace(/^\//, ''),
      // The name it was created from: the list shows an image ID instead once the tag
      // has moved on (a `docker pull`), and protect patterns are written against names.
      image: inspect.Config?.Image ?? summary.Image ?? '',
      state: inspect.State?.Status ?? summary.State ?? 'unknown',
      finishedAt: timeOrNull(inspect.State?.FinishedAt),
      createdAt: inspect.Created ? new Date(inspect.Created).toISOString() : null,
      labels: inspect.Config?.Labels ?? {},
      logConfig: logConfigFacts(logConfig?.Type ?? 'json-file', logConfig?.Config),
      logPath: inspect.LogPath ? inspect.LogPath : null,
      readonlyRootfs: inspect.HostConfig?.ReadonlyRootfs ?? false,
      security: containerSecurity(inspect),
    },
    null,
    null,
    changeToken,
  );
}

/**
 * A container's facts with what was measured of it, every field named in one order: the
 * one way both an inspect and the store's cache make a ContainerFacts. A spread of the
 * cache's parsed facts gave each of 10,000 containers a hidden class of its own (3.8 MB
 * of V8 descriptor arrays and 1.1 MB of property arrays in a heap snapshot of a warm
 * report; issue #14).
 */
export function measuredFacts(f: ExitedFacts, logFiles: LogFiles | null, footprint: Footprint | null, changeToken: string | null): ContainerFacts {
  return {
    id: f.id,
    name: f.name,
    image: f.image,
    state: f.state,
    finishedAt: f.finishedAt,
    createdAt: f.createdAt,
    labels: f.labels,
    logConfig: f.logConfig,
    logPath: f.logPath,
    logFiles,
    readonlyRootfs: f.readonlyRootfs,
    security: compactSecurity(f.security),
    sizeRwBytes: null,
    footprint,
    changeToken,
  };
}

/** One array for every empty list: an exited container's seven lists are nearly all
 *  empty, and 70,000 empty arrays took 2.3 MB at 10,000 containers (issue #14). */
const NONE: readonly never[] = Object.freeze([]);
const shared = <T>(list: readonly T[]): readonly T[] => (list.length === 0 ? NONE : list);

function compactSecurity(s: ContainerSecurity): ContainerSecurity {
  return {
    privileged: s.privileged,
    capAdd: shared(s.capAdd),
    pidMode: s.pidMode,
    ipcMode: s.ipcMode,
    networkMode: s.networkMode,
    securityOpt: shared(s.securityOpt),
    devices: shared(s.devices),
    deviceCgroupRules: shared(s.deviceCgroupRules),
    binds: shared(s.binds),
    tmpfs: shared(s.tmpfs),
    writableMounts: shared(s.writableMounts),
  };
}

/** The bind mounts of a container: the top-level `Mounts` (every mount point, registered
 *  at create), with `HostConfig.Binds` and `HostConfig.Mounts` for what an engine left
 *  out of it; one entry per source and destination. */
function bindMounts(inspect: ContainerInspect): BindMount[] {
  const found: BindMount[] = [];
  const add = (rawSource: string | undefined, rawDestination: string | undefined, readOnly: boolean) => {
    if (!rawSource?.startsWith('/') || !rawDestination) return;
    // `Mounts` has the paths cleaned, `Binds` as typed (`-v /etc/:/host/etc`): one mount.
    const [source, destination] = [normalizePath(rawSource), normalizePath(rawDestination)];
    if (!found.some((m) => m.source === source && m.destination === destination)) found.push({ source, destination, readOnly });
  };
  for (const m of inspect.Mounts ?? []) if (m.Type === 'bind') add(m.Source, m.Destination, m.RW === false);
  for (const bind of inspect.HostConfig?.Binds ?? []) {
    // SRC:DST[:OPTS]; a SRC without a leading / is a named volume.
    const [source, destination, options = ''] = bind.split(':');
    add(source, destination, options.split(',').includes('ro'));
  }
  for (const m of inspect.HostConfig?.Mounts ?? []) if (m.Type === 'bind') add(m.Source, m.Target, m.ReadOnly === true);
  return found;
}

export function containerSecurity(inspect: ContainerInspect): ContainerSecurity {
  const host = inspect.HostConfig ?? {};
  return {
    privileged: host.Privileged ?? false,
    capAdd: host.CapAdd ?? [],
    pidMode: host.PidMode ?? '',
    ipcMode: host.IpcMode ?? '',
    networkMode: host.NetworkMode ?? '',
    securityOpt: host.SecurityOpt ?? [],
    devices: (host.Devices ?? []).map((d) => ({ pathOnHost: d.PathOnHost ?? '', pathInContainer: d.PathInContainer ?? '', permissions: d.CgroupPermissions ?? '' })),
    deviceCgroupRules: host.DeviceCgroupRules ?? [],
    binds: bindMounts(inspect),
    tmpfs: [...new Set([...Object.keys(host.Tmpfs ?? {}), ...(host.Mounts ?? []).filter((m) => m.Type === 'tmpfs' && m.Target).map((m) => m.Target!)])].sort(),
    writableMounts: [...new Set((inspect.Mounts ?? []).filter((m) => (m.Type === 'volume' || m.Type === 'bind') && m.RW !== false && m.Destination).map((m) => m.Destination!))].sort(),
  };
}

/**
 * The engine rewrites config.v2.json whenever a container's state changes (start, die,
 * pause, rename, `docker update`, and each health probe of a container that has one),
 * so its mtime, size and inode say whether a container is still the one inspected
 * last time: one stat instead of an inspect over the API.
 */
export function changeToken(dockerRootDir: string, id: string): string | null {
  try {
    // Joined by hand: 1,050 tokens took 9.4 ms with path.join, 7.7 ms without (a fresh
    // process each, medians of 7; issue #14). DockerRootDir is absolute, an id a name.
    const s = statSync(`${dockerRootDir}/containers/${id}/config.v2.json`, { bigint: true });
    // The prefix names the shape of the cached facts: bump it when ContainerFacts
    // changes, so entries of an older shape are measured again, not half-read. v4: on
    // the containerd image store footprints before issue #10 left the snapshots out.
    // v5: the facts hold `security` (issue #13), which earlier entries lack.
    return `v5:${s.mtimeNs}:${s.size}:${s.ino}`;
  } catch {
    return null;
  }
}

/** A container to collect: as the engine listed it, or only its id, as found in the
 *  engine's containers/ folder (not active when the engine listed the active ones). */
export interface Listed {
  id: string;
  summary: ContainerSummary | null;
}

export interface ContainersResult {
  containers: ContainerFacts[];
  /** Containers asked about over the API. */
  inspected: number;
  /** Finished containers read from the engine's files instead (container-files.ts). */
  read: number;
  cached: number;
  /** Inspects that failed; those containers are left out, the others still report. */
  errors: string[];
}

/** The ids in the engine's containers/ folder. */
export function containersOnDisk(dockerRootDir: string): string[] {
  return readdirSync(join(dockerRootDir, 'containers')).filter((name) => /^[0-9a-f]{64}$/.test(name));
}

/** How many folders to ask the engine about when nothing else tells whose they are. */
const PROBES = 3;

/**
 * Whether a readable containers/ folder is this engine's: a remote engine's
 * DockerRootDir may share its path with a local engine's. Its active containers are in
 * it; with none active, one of the folders is in this engine's cache (kept per engine
 * ID, under a change token), or the engine knows one of a few of them; an empty folder
 * is this engine's only if the engine has no container at all.
 */
export async function holdsThisEngine(client: EngineClient, dockerRootDir: string, onDisk: Set<string>, active: ContainerSummary[], engineContainers: number, cache: ExitedCache | null): Promise<boolean> {
  if (active.length > 0) return active.some((s) => onDisk.has(s.Id));
  if (onDisk.size === 0) return engineContainers === 0;
  const ids = [...onDisk];
  const cached = (id: string): boolean => {
    const token = changeToken(dockerRootDir, id);
    return token !== null && cache !== null && cache.lookup(id, token) !== null;
  };
  if (ids.some(cached)) return true;
  const known = await Promise.all(ids.slice(0, PROBES).map(async (id) => (await client.inspectContainer(id)) !== null));
  return known.some(Boolean);
}

/** How far a long step is (`done` of `total` containers): the progress line of a cold
 *  scan (pipeline/progress.ts). */
export type ProgressReporter = (step: string, done: number, total: number) => void;

export interface ScanHooks {
  /** Called on each container as soon as its facts are in (from its inspect or the
   *  engine's files): the exited ones' footprint is walked here, while the next
   *  inspects are at the engine (issue #14). */
  factsIn?(container: ContainerFacts): void;
  progress?: ProgressReporter;
  /** Called every COLLECT_EVERY inspects, and every COLLECT_EVERY containers read from
   *  the engine's files (Io.collectGarbage). */
  collectGarbage?(): void;
}

/** Inspects between two full garbage collections: their responses are garbage once
 *  read, and V8 would keep them until its next major collection (main.ts). Collecting
 *  every 500, alone, held a cold scan at 3,500 containers at 83 MB, against 99 MB, in
 *  the same time (issue #14). */
const COLLECT_EVERY = 500;

/** Where this engine keeps its containers, when its files are readable from here. */
export interface EngineFiles {
  dockerRootDir: string;
  /** `docker info`'s Driver: the engine loads only this driver's containers. */
  storageDriver: string;
}

export async function collectContainers(client: EngineClient, listed: Listed[], files: EngineFiles | null, cache: ExitedCache | null, hooks: ScanHooks = {}): Promise<ContainersResult> {
  const errors: string[] = [];
  // What the cache answers, in one synchronous pass and one read of the store: at 1,000
  // exited containers a promise per container cost more than the lookups (issue #8).
  const containers: ContainerFacts[] = [];
  const unknown: Array<Listed & { token: string | null }> = [];
  const answerFromCache = () => {
    for (const { id, summary } of listed) {
      const token = files ? changeToken(files.dockerRootDir, id) : null;
      const hit = token && cache ? cache.lookup(id, token) : null;
      const active = summary !== null && !isExited(summary.State ?? '');
      // A row answers only for the kind of container it was written for: an active one's
      // has no footprint or log, and an exited one's facts say it is exited.
      if (!hit || isExited(hit.facts.state) === active) {
        unknown.push({ id, summary, token });
        continue;
      }
      // An active container's log grows and its files change: only its inspect facts
      // stand while the token holds (the engine rewrites config.v2.json on every change
      // of state), and its state is the one the engine listed just now.
      if (active) hit.facts.state = summary.State ?? hit.facts.state;
      containers.push(active ? measuredFacts(hit.facts, null, null, token) : measuredFacts(hit.facts, hit.logFiles, hit.footprint, token));
    }
  };
  if (cache) cache.inOneRead(answerFromCache);
  else answerFromCache();
  // The containers the engine did not list as active were finished then: their facts
  // are in the engine's files (collect/container-files.ts), read in one synchronous
  // pass. What cannot be read there is inspected; all of them, once this user turns out
  // not to be allowed to read the files.
  const fromFiles = new Set<string>();
  if (files) {
    const finished = unknown.filter((entry) => entry.summary === null);
    let readable = true;
    for (const [i, { id, token }] of finished.entries()) {
      let inspect: ContainerInspect | null = null;
      try {
        inspect = readable ? readContainerFiles(files.dockerRootDir, files.storageDriver, id) : null;
      } catch {
        readable = false;
      }
      if (inspect) {
        const facts = containerFacts({ Id: id }, inspect, token);
        hooks.factsIn?.(facts);
        containers.push(facts);
        fromFiles.add(id);
      }
      hooks.progress?.('reading', i + 1, finished.length);
      if ((i + 1) % COLLECT_EVERY === 0) {
        hooks.collectGarbage?.();
        // Let the engine's answers in (docker system df, asked before the scan).
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
  }
  const toInspect = unknown.filter((entry) => !fromFiles.has(entry.id));
  let done = 0;
  const inspected = await pMap(
    toInspect,
    async ({ id, summary, token }): Promise<ContainerFacts | null> => {
      try {
        const inspect = await client.inspectContainer(id);
        // Removed between the list and the inspect: it no longer takes any space.
        if (!inspect) return null;
        const facts = containerFacts(summary ?? { Id: id }, inspect, token);
        hooks.factsIn?.(facts);
        return facts;
      } catch (error) {
        if (error instanceof EngineUnreachableError) throw error;
        errors.push((error as Error).message);
        return null;
      } finally {
        // Counted apart from the call: `?.` would skip the increment with no reporter.
        done += 1;
        hooks.progress?.('inspecting', done, toInspect.length);
        if (done % COLLECT_EVERY === 0) hooks.collectGarbage?.();
      }
    },
    { concurrency: INSPECT_CONCURRENCY },
  );
  for (const c of inspected) if (c) containers.push(c);
  // Newest first, as `docker ps -a` lists them, whichever way they were found. ISO
  // times sort as strings; localeCompare would cost 20 ms here.
  const descending = (x: string, y: string) => (x < y ? 1 : x > y ? -1 : 0);
  containers.sort((a, b) => descending(a.createdAt ?? '', b.createdAt ?? '') || descending(a.id, b.id));
  return { containers, inspected: toInspect.length, read: fromFiles.size, cached: listed.length - unknown.length, errors };
}
