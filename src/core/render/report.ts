// The text report a person reads in ten seconds, from the same Report object that
// --json prints. Pure: colour is decided by the caller and passed in.

import type { Forecast } from '../forecast.js';
import { sparkline } from '../forecast.js';
import { ago, formatDuration } from '../durations.js';
import type { History, Inodes, Space } from '../model.js';
import { isExited } from '../model.js';
import type { ContainerReport, Report } from '../report.js';
import { inodeFraction, usedFraction } from '../storage.js';
import { percent } from '../units.js';
import { findingLines } from './findings.js';
import { bytes, count, painter, table, visible } from './text.js';
import prettyBytes from 'pretty-bytes';

export interface RenderOptions {
  color: boolean;
  now: Date;
  /** How many logs, exited containers and cases of one finding to list. */
  top: number;
  /** Earlier runs, for the sparklines. */
  history?: History;
}

function spaceLine(label: string, space: Space): string[] {
  return [label, `${bytes(space.usedBytes)} used`, `${bytes(space.availableBytes)} available`, `of ${bytes(space.totalBytes)}`, percent(usedFraction(space))];
}

function inodeLine(label: string, inodes: Inodes): string[] {
  return [label, `${count(inodes.used)} used`, `${count(inodes.total - inodes.used)} free`, `of ${count(inodes.total)}`, percent(inodeFraction(inodes))];
}

const rate = (perHour: number | null, amount: (n: number) => string = prettyBytes): string => (perHour === null ? '' : `${perHour < 0 ? '-' : '+'}${amount(Math.abs(perHour))}/h`);
const inodes = (n: number): string => `${count(Math.round(n))} inodes`;

/** "+2.1 MB/h, full in 3 days (2026-12-01T10:00:00Z)", or why there is no forecast. */
function forecastText(forecast: Forecast, now: Date, amount?: (n: number) => string): string {
  if (forecast.growthBytesPerHour === null) return forecast.basis;
  if (forecast.fullAt === null) return `${rate(forecast.growthBytesPerHour, amount)}: ${forecast.basis}`;
  const left = Date.parse(forecast.fullAt) - now.getTime();
  const when = left <= 0 ? 'full now' : `full in ${formatDuration(left)}`;
  return `${rate(forecast.growthBytesPerHour, amount)}, ${when} (${forecast.fullAt}) at this trend`;
}

function storageSection(report: Report, now: Date, history: History | undefined): string[] {
  const s = report.storage;
  if (!s) return ['Storage: not collected (see findings)'];
  const title =
    s.source === 'thin-pool'
      ? `devicemapper thin pool ${s.thinPool?.name ?? ''}${s.thinPool?.loopback ? ' (loop-lvm)' : ''}`
      : s.source === 'zfs'
        ? 'zfs dataset'
        : `filesystem under ${s.path ?? report.engine?.dockerRootDir ?? '?'}`;
  const rows: string[][] = [];
  if (s.data) rows.push(spaceLine('data', s.data));
  if (s.metadata) rows.push(spaceLine('metadata', s.metadata));
  if (s.inodes) rows.push(inodeLine('inodes', s.inodes));
  if (s.imageStore) {
    rows.push(spaceLine('containerd', s.imageStore.data));
    if (s.imageStore.inodes) rows.push(inodeLine('  inodes', s.imageStore.inodes));
  }
  const lines = [`Storage: ${visible(title)}`, ...table(rows, ['l', 'r', 'r', 'r', 'r'])];
  // The containerd image store on a filesystem of its own (issue #10): what of it is the
  // images' and writable layers', by docker system df, whose Images line (LayersSize)
  // counts the writable snapshots too on this store (measured on 26.1).
  if (s.imageStore) {
    const share = report.usage ? `: ${bytes(report.usage.images.sizeBytes)} of it by docker system df (its Images line counts the writable layers too on this store)` : '';
    lines.push(`  containerd keeps images and writable layers in ${visible(s.imageStore.path)}${share}`);
  }
  if (s.thinPool?.minimumFreeBytes != null) lines.push(`  the engine stops creating containers below ${bytes(s.thinPool.minimumFreeBytes)} free (Thin Pool Minimum Free Space)`);
  if (s.forecast && s.data) {
    const spark = sparkline([...(history?.storage ?? []).flatMap((h) => (h.dataUsed === null ? [] : [h.dataUsed])), s.data.usedBytes]);
    lines.push(`  data trend  ${spark ? `${spark}  ` : ''}${forecastText(s.forecast, now)}`);
  }
  if (s.inodeForecast?.fullAt) lines.push(`  inode trend ${forecastText(s.inodeForecast, now, inodes)}`);
  if (s.note) lines.push(`  ${visible(s.note)}`);
  return lines;
}

function usageSection(report: Report, now: Date): string[] {
  const u = report.usage;
  if (!u) return ['Disk usage (docker system df): not collected (see findings)'];
  const rows = [['TYPE', 'TOTAL', 'ACTIVE', 'SIZE', 'RECLAIMABLE']];
  const lines: Array<[string, typeof u.images]> = [
    ['Images', u.images],
    ['Containers', u.containers],
    ['Local volumes', u.volumes],
    ['Build cache', u.buildCache],
  ];
  for (const [label, line] of lines) rows.push([label, count(line.count), count(line.active), bytes(line.sizeBytes), bytes(line.reclaimableBytes)]);
  return [`Disk usage (docker system df, measured ${ago(u.measuredAt, now)})`, ...table(rows, ['l', 'r', 'r', 'r', 'r'])];
}

function logLimit(c: ContainerReport): string {
  if (c.log.limitBytes !== null) return `${bytes(c.log.maxSizeBytes)} x ${c.log.maxFiles}`;
  return c.log.bounded ? '-' : 'NONE';
}

function logsSection(report: Report, top: number, history: History | undefined): string[] {
  const logs = report.containers.filter((c) => c.log.bytes !== null).sort((a, b) => b.log.bytes! - a.log.bytes!);
  if (logs.length === 0) {
    const e = report.engine;
    if (!e) return ['Logs: not collected (see findings)'];
    return [`Logs: ${e.local ? 'no json-file logs' : "unavailable (the engine's files are not readable from here)"}`];
  }
  const total = logs.reduce((a, c) => a + c.log.bytes!, 0);
  const rows = [['CONTAINER', 'STATE', 'LOG', 'LIMIT', 'GROWTH', 'TREND']];
  // Empty logs are counted in the heading but not listed.
  for (const c of logs.filter((c) => c.log.bytes! > 0).slice(0, top)) {
    const trend = sparkline([...(history?.logs[c.id] ?? []).map((p) => p.value), c.log.bytes!], 12);
    rows.push([c.name, c.state, bytes(c.log.bytes), logLimit(c), rate(c.log.growthBytesPerHour), trend]);
  }
  return [`Biggest logs (${count(logs.length)} logs, ${bytes(total)} in all)`, ...table(rows, ['l', 'l', 'r', 'l', 'r', 'l'])];
}

function exitedSection(report: Report, now: Date, top: number): string[] {
  const e = report.exited;
  if (e.count === 0) return ['Exited containers: none'];
  const exited = report.containers.filter((c) => isExited(c.state));
  const lines = [`Exited containers: ${count(e.count)}`, `  docker system df shows  ${bytes(e.sizeRwBytes)} (their writable layers)`];
  if (e.footprintBytes === null) {
    const why = report.engine?.local ? 'not measured (see findings)' : "unavailable (the engine's files are not readable from here)";
    lines.push(`  on disk                 ${why}`);
  } else {
    const partial = e.footprintMeasured < e.count ? `; ${count(e.footprintMeasured)} of them measured` : '';
    lines.push(`  on disk                 ${bytes(e.footprintBytes)} in ${count(e.footprintInodes ?? 0)} inodes (container dirs, layer dirs, logs${partial})`);
  }
  const oldest = exited.filter((c) => c.finishedAt !== null).sort((a, b) => Date.parse(a.finishedAt!) - Date.parse(b.finishedAt!))[0];
  if (oldest) lines.push(`  oldest                  ${visible(oldest.name)} (${visible(oldest.image)}), finished ${ago(oldest.finishedAt!, now)}`);
  const heaviest = [...exited].sort((a, b) => (b.footprintBytes ?? b.sizeRwBytes ?? 0) - (a.footprintBytes ?? a.sizeRwBytes ?? 0));
  const rows = [['CONTAINER', 'IMAGE', 'FINISHED', 'ON DISK', 'LOG']];
  for (const c of heaviest.slice(0, top)) {
    rows.push([c.name, c.image, c.finishedAt ? ago(c.finishedAt, now) : 'never ran', bytes(c.footprintBytes), bytes(c.log.bytes)]);
  }
  return [...lines, ...table(rows, ['l', 'l', 'l', 'r', 'r'])];
}

function findingsSection(report: Report, top: number, color: boolean): string[] {
  if (report.findings.length === 0) return ['Findings: none, all is well'];
  return [`Findings (${count(report.findings.length)})`, ...findingLines(report.findings, { top, paint: painter(color), layout: 'table' })];
}

export function renderText(report: Report, options: RenderOptions): string {
  const paint = painter(options.color);
  const e = report.engine;
  const engineLine = e
    ? visible(`Engine: ${e.host}  Docker ${e.serverVersion} (API ${e.apiVersion})  ${e.containerdImageStore ? `containerd image store (${e.storageDriver} snapshotter)` : e.storageDriver}  ${e.dockerRootDir}  ${e.local ? 'local' : 'remote'}`)
    : 'Engine: not collected (see findings)';
  const d = report.daemon;
  // Only on a watched host (issue #11): an unwatched one keeps its report as it was.
  const daemonLine = d ? [`Daemon: watchdog watch running since ${d.since} (pid ${d.pid}); last full pass ${d.lastFullPassAt ? ago(d.lastFullPassAt, options.now) : 'not yet'}${d.polledLogs > 0 ? `; ${count(d.polledLogs)} log${d.polledLogs === 1 ? '' : 's'} polled, as inotify watches ran out (raise fs.inotify.max_user_watches)` : ''}`] : [];
  const sections = [
    [paint('bold', `docker-watchdog report, ${report.generatedAt}`), engineLine, ...daemonLine],
    storageSection(report, options.now, options.history),
    usageSection(report, options.now),
    logsSection(report, options.top, options.history),
    exitedSection(report, options.now, options.top),
    findingsSection(report, options.top, options.color),
  ];
  return sections.map((lines) => lines.join('\n')).join('\n\n') + '\n';
}
