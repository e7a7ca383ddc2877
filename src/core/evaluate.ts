// Findings from a snapshot. Pure: the snapshot and the thresholds come in, findings go
// out, in a stable order (worst first) so reports and tests can rely on it.

import prettyBytes from 'pretty-bytes';
import type { ContainerFacts, Finding, Severity, Snapshot, Space } from './model.js';
import { isExited } from './model.js';
import { inodeFraction, usedFraction } from './storage.js';
import { logLimitBytes } from './logs.js';
import { percent } from './units.js';
import { NO_TRENDS, type Trends } from './trends.js';

export interface Level {
  /** Fractions of the usable space, 0..1. */
  warning: number;
  critical: number;
}

export interface Thresholds {
  data: Level;
  metadata: Level;
  inodes: Level;
  /** Exited containers' real footprint must be this many times what `system df` shows,
   *  and exceed it by at least `exitedOverheadMinBytes`, to be worth a finding. */
  exitedOverheadRatio: number;
  exitedOverheadMinBytes: number;
  /** ...and is a warning, not just information, beyond this many bytes. */
  exitedOverheadWarningBytes: number;
  /** A log growing faster than this many bytes a day gets LOG_GROWTH. */
  logGrowthBytesPerDay: number;
}

export const DEFAULT_THRESHOLDS: Thresholds = {
  data: { warning: 0.8, critical: 0.9 },
  metadata: { warning: 0.8, critical: 0.9 },
  inodes: { warning: 0.8, critical: 0.9 },
  exitedOverheadRatio: 10,
  exitedOverheadMinBytes: 1_000_000,
  exitedOverheadWarningBytes: 1_000_000_000,
  logGrowthBytesPerDay: 1_000_000_000,
};

const SEVERITY_RANK: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };

function levelOf(value: number, level: Level): Severity | null {
  if (value >= level.critical) return 'critical';
  if (value >= level.warning) return 'warning';
  return null;
}

const bytes = (n: number): string => prettyBytes(n);

function spaceFindings(snapshot: Snapshot, t: Thresholds): Finding[] {
  const storage = snapshot.storage;
  if (!storage) return [];
  const findings: Finding[] = [];
  const where = storage.source === 'thin-pool' ? 'thin pool' : storage.source === 'zfs' ? 'zfs dataset' : storage.path ?? 'DockerRootDir';

  const checkSpace = (code: 'DATA_SPACE_LOW' | 'METADATA_SPACE_LOW', label: string, space: Space | null, level: Level, place: string) => {
    if (!space) return;
    const used = usedFraction(space);
    const severity = levelOf(used, level);
    if (severity) findings.push({ code, severity, message: `${label} ${percent(used)} used (${place}): ${bytes(space.availableBytes)} available of ${bytes(space.totalBytes)}` });
  };

  // A thin pool's real "full" line is its minimum free space, well before 100%. The
  // engine refuses new containers once Total - Used falls below it; and on loop-lvm the
  // loop file's own filesystem can cap Available far lower, so the pool fills that
  // filesystem before the engine's own line protects it. Either is critical.
  const minimumFree = storage.thinPool?.minimumFreeBytes ?? null;
  const data = storage.data;
  if (minimumFree !== null && data) {
    const free = data.totalBytes - data.usedBytes;
    if (free < minimumFree) {
      findings.push({
        code: 'DATA_SPACE_LOW',
        severity: 'critical',
        message: `thin pool data space: ${bytes(free)} free, below its minimum free space of ${bytes(minimumFree)}: the engine refuses to create containers`,
      });
    } else if (data.availableBytes < minimumFree) {
      findings.push({
        code: 'DATA_SPACE_LOW',
        severity: 'critical',
        message: `thin pool data space: only ${bytes(data.availableBytes)} can still be written (the filesystem holding its loop file caps it), less than the pool's minimum free space of ${bytes(minimumFree)}: the pool will fill that filesystem before the engine stops creating containers`,
      });
    }
  }
  if (!findings.some((f) => f.code === 'DATA_SPACE_LOW')) checkSpace('DATA_SPACE_LOW', 'data space', storage.data, t.data, where);
  checkSpace('METADATA_SPACE_LOW', 'metadata space', storage.metadata, t.metadata, where);
  if (storage.inodes) {
    const used = inodeFraction(storage.inodes);
    const severity = levelOf(used, t.inodes);
    if (severity) {
      const free = storage.inodes.total - storage.inodes.used;
      findings.push({
        code: 'INODES_LOW',
        severity,
        message: `inodes ${percent(used)} used (${where}): ${free.toLocaleString('en-US')} free of ${storage.inodes.total.toLocaleString('en-US')}`,
      });
    }
  }
  if (storage.imageStore) {
    checkSpace('DATA_SPACE_LOW', 'image store space', storage.imageStore.data, t.data, storage.imageStore.path);
    const inodes = storage.imageStore.inodes;
    const severity = inodes ? levelOf(inodeFraction(inodes), t.inodes) : null;
    if (inodes && severity) {
      findings.push({ code: 'INODES_LOW', severity, message: `image store inodes ${percent(inodeFraction(inodes))} used (${storage.imageStore.path})` });
    }
  }
  if (storage.thinPool?.loopback) {
    findings.push({
      code: 'THIN_POOL_LOOPBACK',
      severity: 'warning',
      message: `the devicemapper thin pool runs on loop files (${storage.thinPool.dataLoopFile ?? storage.thinPool.metadataLoopFile}): slow, and capped by the filesystem that holds them; use direct-lvm (dm.thinpooldev)`,
    });
  }
  return findings;
}

function logFindings(container: ContainerFacts): Finding[] {
  const findings: Finding[] = [];
  const files = container.logFiles;
  if (container.logConfig.driver === 'json-file' && !container.logConfig.bounded) {
    const size = files ? bytes(files.bytes) : 'size unknown';
    // A stopped container's log does not grow until it runs again: worth knowing, not
    // worth a warning exit on a host with hundreds of them.
    const stopped = isExited(container.state);
    findings.push({
      code: 'UNBOUNDED_LOG',
      severity: stopped ? 'info' : 'warning',
      containerId: container.id,
      message: `${container.name}: json-file log has no max-size (${size})${stopped ? ', and will grow again if it restarts' : ' and grows until the disk is full'}; re-create it with --log-opt max-size=...`,
    });
  }
  if (files?.corrupt) {
    const limit = logLimitBytes(container.logConfig);
    findings.push({
      code: 'LOG_CORRUPT',
      severity: 'warning',
      containerId: container.id,
      message: `${container.name}: log ${files.path} starts with NUL bytes: something outside the engine truncated it${limit !== null ? ' although the engine rotates it itself' : ''}, and \`docker logs\` may fail`,
    });
  }
  return findings;
}

function growthFindings(snapshot: Snapshot, trends: Trends, t: Thresholds): Finding[] {
  const findings: Finding[] = [];
  for (const c of snapshot.containers) {
    const perHour = trends.logs[c.id]?.bytesPerHour ?? null;
    if (perHour === null || perHour * 24 < t.logGrowthBytesPerDay) continue;
    const cap = c.logConfig.bounded ? 'the engine caps it' : 'nothing caps it';
    findings.push({
      code: 'LOG_GROWTH',
      severity: 'warning',
      containerId: c.id,
      message: `${c.name}: log grows ${bytes(perHour * 24)} a day (${trends.logs[c.id]!.basis}); ${cap}`,
    });
  }
  return findings;
}

function exitedFindings(snapshot: Snapshot, t: Thresholds): Finding[] {
  // Without system df there is nothing to compare the footprint with.
  if (!snapshot.usage) return [];
  const measured = snapshot.containers.filter((c) => isExited(c.state) && c.footprint !== null);
  if (measured.length === 0) return [];
  const footprint = measured.reduce((a, c) => a + c.footprint!.bytes, 0);
  // Their logs live in the container directories too, but an uncapped log is
  // UNBOUNDED_LOG's business: the overhead is what is left.
  const logs = measured.reduce((a, c) => a + (c.logFiles?.bytes ?? 0), 0);
  const sizeRw = measured.reduce((a, c) => a + (c.sizeRwBytes ?? 0), 0);
  const overhead = footprint - logs - sizeRw;
  if (overhead < t.exitedOverheadMinBytes || footprint - logs < sizeRw * t.exitedOverheadRatio) return [];
  const inodes = measured.reduce((a, c) => a + c.footprint!.inodes, 0);
  const capacity = snapshot.storage?.data?.totalBytes ?? null;
  const heavy = overhead >= t.exitedOverheadWarningBytes || (capacity !== null && overhead >= capacity * 0.05);
  return [
    {
      code: 'EXITED_CONTAINERS_OVERHEAD',
      severity: heavy ? 'warning' : 'info',
      message: `${measured.length} exited containers take ${bytes(footprint)} and ${inodes.toLocaleString('en-US')} inodes on disk, while \`docker system df\` shows ${bytes(sizeRw)} for them`,
    },
  ];
}

export function evaluate(snapshot: Snapshot, thresholds: Thresholds = DEFAULT_THRESHOLDS, trends: Trends = NO_TRENDS): Finding[] {
  const findings = [
    ...snapshot.failures.map(
      (f): Finding => ({ code: 'COLLECTOR_FAILED', severity: 'warning', message: `${f.collector}: ${f.message}` }),
    ),
    ...spaceFindings(snapshot, thresholds),
    ...snapshot.containers.flatMap(logFindings),
    ...growthFindings(snapshot, trends, thresholds),
    ...exitedFindings(snapshot, thresholds),
  ];
  // Stable sort keeps the order above within a severity.
  return findings.sort((a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity]);
}

export const EXIT = { ok: 0, warning: 1, critical: 2, unknown: 3 } as const;

/**
 * The exit code of a run, in the order monitoring plugins combine states: critical
 * beats warning beats unknown (a check that could not run) beats ok.
 */
export function exitCodeOf(findings: Finding[]): number {
  if (findings.some((f) => f.severity === 'critical')) return EXIT.critical;
  if (findings.some((f) => f.severity === 'warning' && f.code !== 'COLLECTOR_FAILED')) return EXIT.warning;
  if (findings.some((f) => f.code === 'COLLECTOR_FAILED')) return EXIT.unknown;
  return EXIT.ok;
}
