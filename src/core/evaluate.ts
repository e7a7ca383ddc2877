// Findings from a snapshot. Pure: the snapshot, the policy and the trends come in,
// findings go out, in a stable order (worst first) so reports and tests can rely on it.
// Each finding carries typed fields (space, containerId, subject, sizes): alerting and
// grouping decide on those, the message is only for people.

import prettyBytes from 'pretty-bytes';
import type { ContainerFacts, Finding, Severity, Snapshot, Space, SpaceName } from './model.js';
import { diskCost, isExited } from './model.js';
import { inodeFraction, usedFraction } from './storage.js';
import { logLimitBytes } from './logs.js';
import type { AuditPolicy, Level, LogPolicy, Thresholds } from './policy.js';
import { auditFindings, unboundedLogDefaults } from './audit.js';
import { formatCount as count, percent } from './units.js';
import { NO_TRENDS, type Trends } from './trends.js';

export interface EvaluatePolicy {
  thresholds: Thresholds;
  logs: Pick<LogPolicy, 'maxGrowthPerDay'>;
  /** The audit's findings (issue #13) are part of every report while enabled. */
  audit: AuditPolicy;
}

/** Exited containers' real footprint must be this many times what `system df` shows, and
 *  exceed it by at least MIN_BYTES, to be worth a finding; it is a warning, not just
 *  information, beyond WARNING_BYTES or WARNING_SHARE of the data space. */
const EXITED_OVERHEAD = { ratio: 10, minBytes: 1_000_000, warningBytes: 1_000_000_000, warningShare: 0.05 } as const;

/**
 * LOG_LIMIT_TOO_BIG: a log whose cap (max-size x max-file) exceeds this share of the
 * space that holds it is capped in name only. A quarter: the space warnings start at
 * 80 % used (thresholds.data), so with the engine, images and layers taking their part,
 * one such log filling its cap is enough to reach them, and three fill the disk; a cap
 * meant to protect the disk should stay well inside it (10m x 3 = 30 MB is the usual).
 */
const LOG_LIMIT_SHARE = 0.25;

const SEVERITY_RANK: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };

function levelOf(value: number, level: Level): Severity | null {
  if (value >= level.critical) return 'critical';
  if (value >= level.warning) return 'warning';
  return null;
}

const bytes = (n: number): string => prettyBytes(n);

/** The space findings of a storage's figures: what evaluate says of them, and what the
 *  daemon compares between two statfs ticks (issue #11). */
export function spaceFindings(snapshot: Pick<Snapshot, 'storage'>, t: Thresholds): Finding[] {
  const storage = snapshot.storage;
  if (!storage) return [];
  const findings: Finding[] = [];
  const where = storage.source === 'thin-pool' ? 'thin pool' : storage.source === 'zfs' ? 'zfs dataset' : (storage.path ?? 'DockerRootDir');

  const checkSpace = (code: 'DATA_SPACE_LOW' | 'METADATA_SPACE_LOW', space: SpaceName, label: string, figures: Space | null, level: Level, place: string) => {
    if (!figures) return;
    const used = usedFraction(figures);
    const severity = levelOf(used, level);
    if (severity) findings.push({ code, severity, space, message: `${label} ${percent(used)} used (${place}): ${bytes(figures.availableBytes)} available of ${bytes(figures.totalBytes)}` });
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
        space: 'data',
        message: `thin pool data space: ${bytes(free)} free, below its minimum free space of ${bytes(minimumFree)}: the engine refuses to create containers`,
      });
    } else if (data.availableBytes < minimumFree) {
      findings.push({
        code: 'DATA_SPACE_LOW',
        severity: 'critical',
        space: 'data',
        message: `thin pool data space: only ${bytes(data.availableBytes)} can still be written (the filesystem holding its loop file caps it), less than the pool's minimum free space of ${bytes(minimumFree)}: the pool will fill that filesystem before the engine stops creating containers`,
      });
    }
  }
  if (!findings.some((f) => f.code === 'DATA_SPACE_LOW')) checkSpace('DATA_SPACE_LOW', 'data', 'data space', storage.data, t.data, where);
  checkSpace('METADATA_SPACE_LOW', 'metadata', 'metadata space', storage.metadata, t.metadata, where);
  if (storage.inodes) {
    const used = inodeFraction(storage.inodes);
    const severity = levelOf(used, t.inodes);
    if (severity) {
      const free = storage.inodes.total - storage.inodes.used;
      findings.push({ code: 'INODES_LOW', severity, space: 'inodes', message: `inodes ${percent(used)} used (${where}): ${count(free)} free of ${count(storage.inodes.total)}` });
    }
  }
  if (storage.imageStore) {
    checkSpace('DATA_SPACE_LOW', 'image-store', 'image store space', storage.imageStore.data, t.data, storage.imageStore.path);
    const inodes = storage.imageStore.inodes;
    const severity = inodes ? levelOf(inodeFraction(inodes), t.inodes) : null;
    if (inodes && severity) {
      findings.push({ code: 'INODES_LOW', severity, space: 'image-store-inodes', message: `image store inodes ${percent(inodeFraction(inodes))} used (${storage.imageStore.path})` });
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

/** The space the engine's logs are written to, and its size: the filesystem (or zfs
 *  dataset) under DockerRootDir. A thin pool holds layers, not the logs (they are in
 *  DockerRootDir/containers, on a filesystem not measured then): null. */
function logSpace(snapshot: Snapshot): { totalBytes: number; where: string } | null {
  const storage = snapshot.storage;
  if (!storage?.data || (storage.source !== 'filesystem' && storage.source !== 'zfs')) return null;
  return { totalBytes: storage.data.totalBytes, where: storage.path ?? snapshot.engine?.dockerRootDir ?? 'DockerRootDir' };
}

/** `defaults`: the engine's daemon.json when its default log options cap nothing too
 *  (DAEMON_LOG_DEFAULTS), which an UNBOUNDED_LOG finding points to. */
function logFindings(container: ContainerFacts, space: { totalBytes: number; where: string } | null, defaults: string | null): Finding[] {
  const findings: Finding[] = [];
  const files = container.logFiles;
  const about = { containerId: container.id, subject: container.name, ...(files ? { logBytes: files.bytes } : {}) };
  const limit = logLimitBytes(container.logConfig);
  if (container.logConfig.bounded && limit !== null && space && space.totalBytes > 0 && limit > space.totalBytes * LOG_LIMIT_SHARE) {
    const { maxSizeBytes, maxFiles } = container.logConfig;
    const stopped = isExited(container.state);
    findings.push({
      code: 'LOG_LIMIT_TOO_BIG',
      // As for UNBOUNDED_LOG: a stopped container's log does not grow until it runs again.
      severity: stopped ? 'info' : 'warning',
      ...about,
      message: `${container.name}: ${container.logConfig.driver} log may grow to ${bytes(limit)} (max-size ${bytes(maxSizeBytes!)} x max-file ${count(maxFiles!)}), more than ${LOG_LIMIT_SHARE * 100}% of the ${bytes(space.totalBytes)} space under ${space.where}; re-create it with a smaller --log-opt max-size or max-file`,
    });
  }
  if (container.logConfig.driver === 'json-file' && !container.logConfig.bounded) {
    const size = files ? bytes(files.bytes) : 'size unknown';
    // A stopped container's log does not grow until it runs again: worth knowing, not
    // worth a warning exit on a host with hundreds of them.
    const stopped = isExited(container.state);
    findings.push({
      code: 'UNBOUNDED_LOG',
      severity: stopped ? 'info' : 'warning',
      ...about,
      message: `${container.name}: json-file log has no max-size (${size})${stopped ? ', and will grow again if it restarts' : ' and grows until the disk is full'}; re-create it with --log-opt max-size=...${defaults ? `, and set the engine's default in ${defaults} (DAEMON_LOG_DEFAULTS)` : ''}`,
    });
  }
  if (files?.corrupt) {
    findings.push({
      code: 'LOG_CORRUPT',
      severity: 'warning',
      ...about,
      message: `${container.name}: log ${files.path} starts with NUL bytes: something outside the engine truncated it${limit !== null ? ' although the engine rotates it itself' : ''}, and \`docker logs\` may fail`,
    });
  }
  return findings;
}

function growthFindings(snapshot: Snapshot, trends: Trends, maxGrowthPerDay: number): Finding[] {
  const findings: Finding[] = [];
  for (const c of snapshot.containers) {
    const growth = trends.logs[c.id];
    const perDay = growth?.bytesPerHour == null ? null : growth.bytesPerHour * 24;
    if (perDay === null || perDay < maxGrowthPerDay) continue;
    const cap = c.logConfig.bounded ? 'the engine caps it' : 'nothing caps it';
    findings.push({
      code: 'LOG_GROWTH',
      severity: 'warning',
      containerId: c.id,
      subject: c.name,
      bytesPerDay: perDay,
      message: `${c.name}: log grows ${bytes(perDay)} a day (${growth!.basis}); ${cap}`,
    });
  }
  return findings;
}

function exitedFindings(snapshot: Snapshot): Finding[] {
  // Without system df there is nothing to compare the footprint with.
  if (!snapshot.usage) return [];
  const measured = snapshot.containers.filter((c) => isExited(c.state) && c.footprint !== null);
  if (measured.length === 0) return [];
  // As the report's total counts them (core/report.ts).
  const footprint = measured.reduce((a, c) => a + diskCost(c.footprint!.bytes, c.sizeRwBytes)!, 0);
  // Their logs live in the container directories too, but an uncapped log is
  // UNBOUNDED_LOG's business: the overhead is what is left.
  const logs = measured.reduce((a, c) => a + (c.logFiles?.bytes ?? 0), 0);
  const sizeRw = measured.reduce((a, c) => a + (c.sizeRwBytes ?? 0), 0);
  const overhead = footprint - logs - sizeRw;
  if (overhead < EXITED_OVERHEAD.minBytes || footprint - logs < sizeRw * EXITED_OVERHEAD.ratio) return [];
  const inodes = measured.reduce((a, c) => a + c.footprint!.inodes, 0);
  // The writable layers' filesystem: containerd's, when it has one of its own.
  const capacity = (snapshot.storage?.imageStore ?? snapshot.storage)?.data?.totalBytes ?? null;
  const heavy = overhead >= EXITED_OVERHEAD.warningBytes || (capacity !== null && overhead >= capacity * EXITED_OVERHEAD.warningShare);
  return [
    {
      code: 'EXITED_CONTAINERS_OVERHEAD',
      severity: heavy ? 'warning' : 'info',
      message: `${count(measured.length)} exited containers take ${bytes(footprint)} and ${count(inodes)} inodes on disk, while \`docker system df\` shows ${bytes(sizeRw)} for them`,
    },
  ];
}

/** A collector that failed: the rest of the report still stands. */
function collectorFindings(snapshot: Snapshot): Finding[] {
  return snapshot.failures.map((f): Finding => ({ code: 'COLLECTOR_FAILED', severity: 'warning', subject: f.collector, message: `${f.collector}: ${f.message}` }));
}

/** The containers collector failed (the list, or some inspects): acting on a partial
 *  list could remove the newest container of an image, or miss the one asked for. */
export function containerListFindings(snapshot: Snapshot): Finding[] {
  return collectorFailures(snapshot, ['containers']);
}

/** COLLECTOR_FAILED of the collectors named. */
export function collectorFailures(snapshot: Snapshot, collectors: readonly string[]): Finding[] {
  return collectorFindings(snapshot).filter((f) => f.subject !== undefined && collectors.includes(f.subject));
}

export function evaluate(snapshot: Snapshot, policy: EvaluatePolicy, trends: Trends = NO_TRENDS): Finding[] {
  const space = logSpace(snapshot);
  const audit = policy.audit.enabled;
  const defaults = audit ? unboundedLogDefaults(snapshot.audit) : null;
  return sortFindings([
    ...collectorFindings(snapshot),
    ...spaceFindings(snapshot, policy.thresholds),
    ...snapshot.containers.flatMap((c) => logFindings(c, space, defaults)),
    ...growthFindings(snapshot, trends, policy.logs.maxGrowthPerDay),
    ...exitedFindings(snapshot),
    ...snapshot.containers.flatMap(pausedFindings),
    ...(audit ? auditFindings(snapshot, policy.audit) : []),
  ]);
}

/** A state store that could not be used as it should (pipeline/store.ts): the run went
 *  on, without history, alert state or journal in it. */
export function stateFindings(problems: readonly string[]): Finding[] {
  return problems.map((message) => ({ code: 'STATE_UNAVAILABLE', severity: 'warning', subject: 'state store', message }));
}

/** A paused container's processes are frozen: nobody may notice but the report (a
 *  pause the watchdog itself left behind is thawed before this, see pipeline/thaw.ts). */
function pausedFindings(c: ContainerFacts): Finding[] {
  if (c.state !== 'paused') return [];
  return [{ code: 'CONTAINER_PAUSED', severity: 'info', containerId: c.id, subject: c.name, message: `${c.name} is paused: its processes are frozen until someone runs docker unpause ${c.name}` }];
}

/** Worst first; a stable sort keeps the order within a severity. */
export function sortFindings(findings: Finding[]): Finding[] {
  return findings.sort((a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity]);
}
