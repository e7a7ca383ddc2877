// The text report a person reads in ten seconds, from the same Report object that
// --json prints. Pure: colour is decided by the caller and passed in.

import prettyBytes from 'pretty-bytes';
import type { Forecast } from './forecast.js';
import { sparkline } from './forecast.js';
import type { Finding, History, Severity, Space } from './model.js';
import { isExited } from './model.js';
import type { ContainerReport, Report } from './report.js';
import { inodeFraction, usedFraction } from './storage.js';
import { percent } from './units.js';

export interface RenderOptions {
  color: boolean;
  now: Date;
  /** How many logs and exited containers to list. */
  top: number;
  /** Earlier runs, for the sparklines. */
  history?: History;
}

type Style = 'bold' | 'dim' | 'red' | 'yellow' | 'cyan';
const ANSI: Record<Style, [number, number]> = { bold: [1, 22], dim: [2, 22], red: [31, 39], yellow: [33, 39], cyan: [36, 39] };

const SEVERITY_STYLE: Record<Severity, Style> = { critical: 'red', warning: 'yellow', info: 'cyan' };

const bytes = (n: number | null): string => (n === null ? 'n/a' : prettyBytes(n));
const count = (n: number): string => n.toLocaleString('en-US');

/** "3 days ago", "5 min ago": coarse on purpose, the exact time is in --json. */
export function ago(iso: string, now: Date): string {
  const seconds = Math.max(0, (now.getTime() - Date.parse(iso)) / 1000);
  const units: Array<[number, string]> = [
    [86400, 'day'],
    [3600, 'hour'],
    [60, 'min'],
  ];
  for (const [size, name] of units) {
    const n = Math.floor(seconds / size);
    if (n >= 1) return `${n} ${name}${n > 1 && name !== 'min' ? 's' : ''} ago`;
  }
  return 'just now';
}

/** Columns padded to their widest cell; numbers (align 'r') right-aligned. */
export function table(rows: string[][], align: Array<'l' | 'r'>, indent = '  '): string[] {
  const widths = align.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
  return rows.map(
    (row) =>
      indent +
      row
        .map((cell, i) => (align[i] === 'r' ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd(),
  );
}

function spaceLine(label: string, space: Space): string[] {
  return [label, `${bytes(space.usedBytes)} used`, `${bytes(space.availableBytes)} available`, `of ${bytes(space.totalBytes)}`, percent(usedFraction(space))];
}

const rate = (perHour: number | null): string => (perHour === null ? '' : `${perHour < 0 ? '-' : '+'}${prettyBytes(Math.abs(perHour))}/h`);

/** "+2.1 MB/h, full in 3 days (2026-12-01T10:00:00Z)", or why there is no forecast. */
function forecastText(forecast: Forecast, now: Date): string {
  if (forecast.growthBytesPerHour === null) return forecast.basis;
  if (forecast.fullAt === null) return `${rate(forecast.growthBytesPerHour)}: ${forecast.basis}`;
  const days = (Date.parse(forecast.fullAt) - now.getTime()) / 86_400_000;
  const when = days <= 0 ? 'full now' : days < 1 ? `full in ${Math.max(1, Math.round(days * 24))} h` : `full in ${Math.round(days)} days`;
  return `${rate(forecast.growthBytesPerHour)}, ${when} (${forecast.fullAt}) at this trend`;
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
  if (s.inodes) rows.push(['inodes', `${count(s.inodes.used)} used`, `${count(s.inodes.total - s.inodes.used)} free`, `of ${count(s.inodes.total)}`, percent(inodeFraction(s.inodes))]);
  if (s.imageStore) {
    rows.push(spaceLine(`images (${s.imageStore.path})`, s.imageStore.data));
  }
  const lines = [`Storage: ${title}`, ...table(rows, ['l', 'r', 'r', 'r', 'r'])];
  if (s.thinPool?.minimumFreeBytes != null) lines.push(`  the engine stops creating containers below ${bytes(s.thinPool.minimumFreeBytes)} free (Thin Pool Minimum Free Space)`);
  if (s.forecast && s.data) {
    const spark = sparkline([...(history?.storage ?? []).flatMap((h) => (h.dataUsed === null ? [] : [h.dataUsed])), s.data.usedBytes]);
    lines.push(`  data trend  ${spark ? `${spark}  ` : ''}${forecastText(s.forecast, now)}`);
  }
  if (s.inodeForecast?.fullAt) lines.push(`  inode trend ${forecastText(s.inodeForecast, now)}`);
  if (s.note) lines.push(`  ${s.note}`);
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
  const age = now.getTime() - Date.parse(u.measuredAt) < 60_000 ? 'now' : ago(u.measuredAt, now);
  return [`Disk usage (docker system df, measured ${age})`, ...table(rows, ['l', 'r', 'r', 'r', 'r'])];
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
  if (oldest) lines.push(`  oldest                  ${oldest.name} (${oldest.image}), finished ${ago(oldest.finishedAt!, now)}`);
  const heaviest = [...exited].sort((a, b) => (b.footprintBytes ?? b.sizeRwBytes ?? 0) - (a.footprintBytes ?? a.sizeRwBytes ?? 0));
  const rows = [['CONTAINER', 'IMAGE', 'FINISHED', 'ON DISK', 'LOG']];
  for (const c of heaviest.slice(0, top)) {
    rows.push([c.name, c.image, c.finishedAt ? ago(c.finishedAt, now) : 'never ran', bytes(c.footprintBytes), bytes(c.log.bytes)]);
  }
  return [...lines, ...table(rows, ['l', 'l', 'l', 'r', 'r'])];
}

/** Every finding, but at most `top` of one code: a host with 500 uncapped logs gets
 *  five lines and a count, and --json has them all. */
function findingsSection(findings: Finding[], top: number, paint: (style: Style, text: string) => string): string[] {
  if (findings.length === 0) return ['Findings: none, all is well'];
  const width = Math.max(...findings.map((f) => f.severity.length));
  const lines = [`Findings (${findings.length})`];
  const shown = new Map<string, number>();
  for (const f of findings) {
    const key = `${f.severity}:${f.code}`;
    const n = (shown.get(key) ?? 0) + 1;
    shown.set(key, n);
    if (n <= top) lines.push(`  ${paint(SEVERITY_STYLE[f.severity], f.severity.toUpperCase().padEnd(width))}  ${f.code}  ${f.message}`);
  }
  for (const [key, n] of shown) {
    if (n > top) lines.push(`  ... and ${count(n - top)} more ${key.replace(':', ' ')} (see --json)`);
  }
  return lines;
}

export function renderText(report: Report, options: RenderOptions): string {
  const paint = (style: Style, text: string): string => (options.color ? `\u001b[${ANSI[style][0]}m${text}\u001b[${ANSI[style][1]}m` : text);
  const e = report.engine;
  const engineLine = e
    ? `Engine: ${e.host}  Docker ${e.serverVersion} (API ${e.apiVersion})  ${e.storageDriver}  ${e.dockerRootDir}  ${e.local ? 'local' : 'remote'}`
    : 'Engine: not collected (see findings)';
  const sections = [
    [paint('bold', `docker-watchdog report, ${report.generatedAt}`), engineLine],
    storageSection(report, options.now, options.history),
    usageSection(report, options.now),
    logsSection(report, options.top, options.history),
    exitedSection(report, options.now, options.top),
    findingsSection(report.findings, options.top, paint),
  ];
  return sections.map((lines) => lines.join('\n')).join('\n\n') + '\n';
}
