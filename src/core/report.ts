// The report: the JSON contract of DESIGN.md, built from a snapshot and its findings.
// The text renderer reads the same object, so both always say the same thing.

import type { CollectorTiming, ContainerFacts, EngineFacts, Finding, Snapshot, Storage, Usage } from './model.js';
import { isExited } from './model.js';
import type { Forecast } from './forecast.js';
import { logLimitBytes } from './logs.js';
import { NO_TRENDS, type Trends } from './trends.js';

export interface ContainerReport {
  id: string;
  name: string;
  image: string;
  state: string;
  finishedAt: string | null;
  log: {
    driver: string;
    path: string | null;
    /** Live file plus rotated siblings; null when not measurable from here. */
    bytes: number | null;
    maxSizeBytes: number | null;
    maxFiles: number | null;
    /** max-size x max-file: the most the engine lets this log hold. */
    limitBytes: number | null;
    bounded: boolean;
    rotatedFiles: number | null;
    corrupt: boolean | null;
    /** Trend from the state store's history; null for stopped containers or too little history. */
    growthBytesPerHour: number | null;
  };
  sizeRwBytes: number | null;
  footprintBytes: number | null;
  footprintInodes: number | null;
}

export interface Report {
  schemaVersion: 1;
  generatedAt: string;
  engine: EngineFacts | null;
  storage: (Storage & { forecast: Forecast | null; inodeForecast: Forecast | null }) | null;
  usage: Omit<Usage, 'sizeRwById'> | null;
  containers: ContainerReport[];
  exited: {
    count: number;
    /** Null where the engine did not say (df failed) or no files were readable. */
    sizeRwBytes: number | null;
    logBytes: number | null;
    footprintBytes: number | null;
    footprintInodes: number | null;
    /** How many of them the footprint covers (one removed mid-run is not measured). */
    footprintMeasured: number;
  };
  findings: Finding[];
  /** How long each collector took, and whether it worked (node_exporter style). */
  collectors: CollectorTiming[];
}

function containerReport(c: ContainerFacts, trends: Trends): ContainerReport {
  return {
    id: c.id,
    name: c.name,
    image: c.image,
    state: c.state,
    finishedAt: c.finishedAt,
    log: {
      driver: c.logConfig.driver,
      path: c.logPath,
      bytes: c.logFiles?.bytes ?? null,
      maxSizeBytes: c.logConfig.maxSizeBytes,
      maxFiles: c.logConfig.maxFiles,
      limitBytes: logLimitBytes(c.logConfig),
      bounded: c.logConfig.bounded,
      rotatedFiles: c.logFiles?.rotatedFiles ?? null,
      corrupt: c.logFiles?.corrupt ?? null,
      growthBytesPerHour: trends.logs[c.id]?.bytesPerHour ?? null,
    },
    sizeRwBytes: c.sizeRwBytes,
    footprintBytes: c.footprint?.bytes ?? null,
    footprintInodes: c.footprint?.inodes ?? null,
  };
}

/** Sum of what was measured; null when nothing was, so "unavailable" never reads as 0. */
function total(values: Array<number | null>): number | null {
  const measured = values.filter((v): v is number => v !== null);
  return values.length > 0 && measured.length === 0 ? null : measured.reduce((a, b) => a + b, 0);
}

function usageLines(usage: Usage | null): Report['usage'] {
  if (!usage) return null;
  const { sizeRwById: _perContainer, ...lines } = usage;
  return lines;
}

export function buildReport(snapshot: Snapshot, findings: Finding[], collectors: CollectorTiming[] = [], trends: Trends = NO_TRENDS): Report {
  const containers = snapshot.containers.map((c) => containerReport(c, trends));
  const exited = containers.filter((c) => isExited(c.state));
  const local = snapshot.engine?.local ?? false;
  return {
    schemaVersion: 1,
    generatedAt: snapshot.takenAt.toISOString(),
    engine: snapshot.engine,
    storage: snapshot.storage ? { ...snapshot.storage, forecast: trends.data, inodeForecast: trends.inodes } : null,
    usage: usageLines(snapshot.usage),
    containers,
    exited: {
      count: exited.length,
      sizeRwBytes: snapshot.usage ? total(exited.map((c) => c.sizeRwBytes)) : null,
      logBytes: local ? total(exited.map((c) => c.log.bytes)) : null,
      footprintBytes: local ? total(exited.map((c) => c.footprintBytes)) : null,
      footprintInodes: local ? total(exited.map((c) => c.footprintInodes)) : null,
      footprintMeasured: exited.filter((c) => c.footprintBytes !== null).length,
    },
    findings,
    collectors,
  };
}
