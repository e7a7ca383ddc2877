// Containers collector: every container with its state, finishedAt, image and log
// configuration. One inspect per container, a few at a time so the engine stays
// responsive for everyone else.

import pMap from 'p-map';
import type { ContainerFacts } from '../core/model.js';
import { logConfigFacts } from '../core/logs.js';
import type { EngineClient } from '../engine/client.js';
import type { ContainerInspect, ContainerSummary } from '../engine/shapes.js';

const INSPECT_CONCURRENCY = 8;

/** The engine's "never finished": Go's zero time. */
const ZERO_TIME = '0001-01-01T00:00:00Z';

export function containerFacts(summary: ContainerSummary, inspect: ContainerInspect): ContainerFacts {
  const finishedAt = inspect.State?.FinishedAt;
  const logConfig = inspect.HostConfig?.LogConfig;
  return {
    id: inspect.Id,
    name: (inspect.Name ?? summary.Names?.[0] ?? inspect.Id.slice(0, 12)).replace(/^\//, ''),
    image: summary.Image ?? inspect.Config?.Image ?? '',
    state: inspect.State?.Status ?? summary.State ?? 'unknown',
    finishedAt: !finishedAt || finishedAt.startsWith('0001-01-01') || finishedAt === ZERO_TIME ? null : new Date(finishedAt).toISOString(),
    logConfig: logConfigFacts(logConfig?.Type ?? 'json-file', logConfig?.Config),
    logPath: inspect.LogPath ? inspect.LogPath : null,
    logFiles: null,
    readonlyRootfs: inspect.HostConfig?.ReadonlyRootfs ?? false,
    sizeRwBytes: null,
    footprint: null,
  };
}

export async function collectContainers(client: EngineClient): Promise<ContainerFacts[]> {
  const summaries = await client.listContainers();
  const facts = await pMap(
    summaries,
    async (summary) => {
      const inspect = await client.inspectContainer(summary.Id);
      // Removed between the list and the inspect: it no longer takes any space.
      return inspect ? containerFacts(summary, inspect) : null;
    },
    { concurrency: INSPECT_CONCURRENCY },
  );
  return facts.filter((f): f is ContainerFacts => f !== null);
}
