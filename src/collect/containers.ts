// Containers collector: every container with its state, finishedAt, image and log
// configuration. One inspect per container, a few at a time so the engine stays
// responsive for everyone else, except for exited containers whose facts the state
// store already holds and that have not changed since (issue #3).

import { statSync } from 'node:fs';
import { join } from 'node:path';
import pMap from 'p-map';
import type { ContainerFacts, ExitedFacts, Footprint } from '../core/model.js';
import { isExited } from '../core/model.js';
import { logConfigFacts } from '../core/logs.js';
import type { EngineClient } from '../engine/client.js';
import { timeOrNull, type ContainerInspect, type ContainerSummary } from '../engine/shapes.js';
import { EngineUnreachableError } from '../errors.js';

/** What earlier runs measured about exited containers (the state store keeps it). */
export interface ExitedCache {
  /** The entry for this container if its change token still matches. */
  lookup(id: string, changeToken: string): { facts: ExitedFacts; footprint: Footprint | null } | null;
}

const INSPECT_CONCURRENCY = 8;

export function containerFacts(summary: ContainerSummary, inspect: ContainerInspect): ContainerFacts {
  const logConfig = inspect.HostConfig?.LogConfig;
  return {
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
    logFiles: null,
    readonlyRootfs: inspect.HostConfig?.ReadonlyRootfs ?? false,
    sizeRwBytes: null,
    footprint: null,
    changeToken: null,
  };
}

/**
 * The engine rewrites config.v2.json whenever a container's state changes (start, die,
 * rename), so its mtime, size and inode say whether an exited container is still the
 * one measured last time: one stat instead of an inspect over the API.
 */
export function changeToken(dockerRootDir: string, id: string): string | null {
  try {
    const s = statSync(join(dockerRootDir, 'containers', id, 'config.v2.json'), { bigint: true });
    // The prefix names the shape of the cached facts: bump it when ContainerFacts
    // changes, so entries of an older shape are measured again, not half-read.
    return `v2:${s.mtimeNs}:${s.size}:${s.ino}`;
  } catch {
    return null;
  }
}

export interface ContainersResult {
  containers: ContainerFacts[];
  inspected: number;
  cached: number;
  /** Inspects that failed; those containers are left out, the others still report. */
  errors: string[];
}

/** `local`: DockerRootDir when this engine's files are readable from here. */
export async function collectContainers(client: EngineClient, summaries: ContainerSummary[], dockerRootDir: string | null, cache: ExitedCache | null): Promise<ContainersResult> {
  let inspected = 0;
  let cached = 0;
  const errors: string[] = [];
  const facts = await pMap(
    summaries,
    async (summary): Promise<ContainerFacts | null> => {
      const exited = isExited(summary.State ?? '');
      const token = exited && dockerRootDir ? changeToken(dockerRootDir, summary.Id) : null;
      const hit = token && cache ? cache.lookup(summary.Id, token) : null;
      if (hit) {
        cached++;
        return { ...hit.facts, logFiles: null, sizeRwBytes: null, footprint: hit.footprint, changeToken: token };
      }
      inspected++;
      try {
        const inspect = await client.inspectContainer(summary.Id);
        // Removed between the list and the inspect: it no longer takes any space.
        return inspect ? { ...containerFacts(summary, inspect), changeToken: token } : null;
      } catch (error) {
        if (error instanceof EngineUnreachableError) throw error;
        errors.push((error as Error).message);
        return null;
      }
    },
    { concurrency: INSPECT_CONCURRENCY },
  );
  return { containers: facts.filter((f): f is ContainerFacts => f !== null), inspected, cached, errors };
}
