// The report: the JSON contract (core/report-schema.ts, published as
// docs/report.schema.json), built from a snapshot and its findings. The text renderer
// reads the same object, so both always say the same thing.

import type { z } from 'zod';
import { logLimitBytes } from './logs.js';
import type { CollectorTiming, ContainerFacts, Finding, Snapshot, Usage } from './model.js';
import { diskCost, isExited } from './model.js';
import type { containerReportSchema, reportSchema } from './report-schema.js';
import { NO_TRENDS, type Trends } from './trends.js';

export type Report = z.infer<typeof reportSchema>;
export type ContainerReport = z.infer<typeof containerReportSchema>;

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

/** What the exited containers take on disk: null when there are some and none could be
 *  measured (never a number that reads as measured); otherwise each counts with its
 *  diskCost, so the total is never below the exited SizeRw (issue #10). */
function exitedFootprint(exited: ContainerFacts[]): number | null {
  if (exited.length > 0 && !exited.some((c) => c.footprint !== null)) return null;
  return exited.reduce((sum, c) => sum + (diskCost(c.footprint?.bytes ?? null, c.sizeRwBytes) ?? 0), 0);
}

/** The exited containers' sums, from their facts: the metrics need them without an
 *  entry per exited container (issue #14). */
function exitedSums(snapshot: Snapshot): Report['exited'] {
  const exited = snapshot.containers.filter((c) => isExited(c.state));
  const local = snapshot.engine?.local ?? false;
  return {
    count: exited.length,
    sizeRwBytes: snapshot.usage ? total(exited.map((c) => c.sizeRwBytes)) : null,
    logBytes: local ? total(exited.map((c) => c.logFiles?.bytes ?? null)) : null,
    footprintBytes: local ? exitedFootprint(exited) : null,
    footprintInodes: local ? total(exited.map((c) => c.footprint?.inodes ?? null)) : null,
    footprintMeasured: exited.filter((c) => c.footprint !== null).length,
  };
}

function usageLines(usage: Usage | null): Report['usage'] {
  if (!usage) return null;
  const { sizeRwById: _perContainer, ...lines } = usage;
  return lines;
}

export function buildReport(snapshot: Snapshot, findings: readonly Finding[], collectors: CollectorTiming[] = [], trends: Trends = NO_TRENDS, daemon: Report['daemon'] = null): Report {
  return assemble(snapshot, snapshot.containers, findings, collectors, trends, daemon);
}

/**
 * What the metrics read: a report whose `containers` are only the active ones, as the
 * metrics have no series per exited container (core/metrics.ts); the exited ones count
 * in `exited`. `check` and the daemon build this one, so they do not hold an entry per
 * exited container for nothing, the daemon until its next pass (issue #14).
 */
export type MetricsReport = Report;

export function buildMetricsReport(snapshot: Snapshot, findings: readonly Finding[], collectors: CollectorTiming[] = [], trends: Trends = NO_TRENDS, daemon: Report['daemon'] = null): MetricsReport {
  return assemble(snapshot, snapshot.containers.filter((c) => !isExited(c.state)), findings, collectors, trends, daemon);
}

function assemble(snapshot: Snapshot, entries: ContainerFacts[], findings: readonly Finding[], collectors: CollectorTiming[], trends: Trends, daemon: Report['daemon']): Report {
  return {
    schemaVersion: 1,
    generatedAt: snapshot.takenAt.toISOString(),
    engine: snapshot.engine,
    storage: snapshot.storage ? { ...snapshot.storage, forecast: trends.data, inodeForecast: trends.inodes } : null,
    usage: usageLines(snapshot.usage),
    containers: entries.map((c) => containerReport(c, trends)),
    exited: exitedSums(snapshot),
    findings: [...findings],
    collectors,
    daemon,
  };
}
