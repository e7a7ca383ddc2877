// The images / containers / volumes / build-cache breakdown of `GET /system/df`, from
// either response shape: API 1.41-1.51 return lists (LayersSize, Images[], Containers[],
// Volumes[], BuildCache[]) from which the totals are computed as the docker CLI does;
// API 1.52+ return ImageUsage / ContainerUsage / VolumeUsage / BuildCacheUsage summaries
// with the lists under Items (only with verbose=1).

import type { Usage, UsageLine } from './model.js';

interface DfImage {
  Containers?: number;
  Size?: number;
  SharedSize?: number;
}
interface DfContainer {
  Id: string;
  State?: string;
  SizeRw?: number;
}
interface DfVolume {
  UsageData?: { Size?: number; RefCount?: number } | null;
}
interface DfBuildCache {
  Size?: number;
  InUse?: boolean;
  Shared?: boolean;
}
interface DfSummary<T> {
  ActiveCount?: number;
  TotalCount?: number;
  TotalSize?: number;
  Reclaimable?: number;
  Items?: T[] | null;
}

export interface SystemDfResponse {
  LayersSize?: number;
  Images?: DfImage[] | null;
  Containers?: DfContainer[] | null;
  Volumes?: DfVolume[] | null;
  BuildCache?: DfBuildCache[] | null;
  ImageUsage?: DfSummary<DfImage>;
  ContainerUsage?: DfSummary<DfContainer>;
  VolumeUsage?: DfSummary<DfVolume>;
  BuildCacheUsage?: DfSummary<DfBuildCache>;
}

const sum = (values: number[]): number => values.reduce((a, b) => a + b, 0);
/** The engine sends -1 for "not computed" (volumes of other drivers, images in use). */
const known = (value: number | undefined): number => (value === undefined || value < 0 ? 0 : value);

function fromSummary(summary: DfSummary<unknown>): UsageLine {
  return {
    count: summary.TotalCount ?? 0,
    active: summary.ActiveCount ?? 0,
    sizeBytes: known(summary.TotalSize),
    reclaimableBytes: known(summary.Reclaimable),
  };
}

function imagesLine(layersSize: number, images: DfImage[]): UsageLine {
  const active = images.filter((image) => (image.Containers ?? 0) > 0);
  // As the docker CLI: what is not unique to an image in use can be reclaimed.
  const used = sum(active.map((image) => known(image.Size) - known(image.SharedSize)));
  return {
    count: images.length,
    active: active.length,
    sizeBytes: layersSize,
    reclaimableBytes: Math.max(0, layersSize - used),
  };
}

function containersLine(containers: DfContainer[]): UsageLine {
  const running = (c: DfContainer) => c.State === 'running' || c.State === 'paused' || c.State === 'restarting';
  return {
    count: containers.length,
    active: containers.filter(running).length,
    sizeBytes: sum(containers.map((c) => known(c.SizeRw))),
    reclaimableBytes: sum(containers.filter((c) => !running(c)).map((c) => known(c.SizeRw))),
  };
}

function volumesLine(volumes: DfVolume[]): UsageLine {
  const active = volumes.filter((v) => (v.UsageData?.RefCount ?? 0) > 0);
  return {
    count: volumes.length,
    active: active.length,
    sizeBytes: sum(volumes.map((v) => known(v.UsageData?.Size))),
    reclaimableBytes: sum(volumes.filter((v) => (v.UsageData?.RefCount ?? 0) === 0).map((v) => known(v.UsageData?.Size))),
  };
}

function buildCacheLine(records: DfBuildCache[]): UsageLine {
  const own = records.filter((r) => !r.Shared);
  return {
    count: records.length,
    active: records.filter((r) => r.InUse).length,
    sizeBytes: sum(own.map((r) => known(r.Size))),
    reclaimableBytes: sum(own.filter((r) => !r.InUse).map((r) => known(r.Size))),
  };
}

export function parseSystemDf(body: SystemDfResponse, measuredAt: Date): Usage {
  const containers = body.ContainerUsage?.Items ?? body.Containers ?? [];
  const sizeRwById: Record<string, number> = {};
  // Every container is listed; SizeRw is omitted when zero.
  for (const c of containers) sizeRwById[c.Id] = known(c.SizeRw);

  if (body.ImageUsage || body.ContainerUsage || body.VolumeUsage || body.BuildCacheUsage) {
    return {
      measuredAt: measuredAt.toISOString(),
      images: fromSummary(body.ImageUsage ?? {}),
      containers: fromSummary(body.ContainerUsage ?? {}),
      volumes: fromSummary(body.VolumeUsage ?? {}),
      buildCache: fromSummary(body.BuildCacheUsage ?? {}),
      sizeRwById,
    };
  }
  return {
    measuredAt: measuredAt.toISOString(),
    images: imagesLine(known(body.LayersSize), body.Images ?? []),
    containers: containersLine(containers),
    volumes: volumesLine(body.Volumes ?? []),
    buildCache: buildCacheLine(body.BuildCache ?? []),
    sizeRwById,
  };
}
