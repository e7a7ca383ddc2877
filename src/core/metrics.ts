// The Prometheus exposition of a report (issue #12): what a fleet's Prometheus scrapes
// from `watchdog watch --listen`, reads through node_exporter's textfile collector
// (`--textfile DIR`), and `watchdog metrics` prints from the store. One model, the
// report, so the metrics always say what the report says.
//
// Names follow Prometheus' conventions: base units (`_bytes`, `_seconds`), `_total`
// on counters only, `_info` for the constant facts. Cardinality stays bounded: per
// container only for running ones (their logs), nothing per exited container; a host
// with N running containers makes about 2N + 40 series (README, "Metrics").

import type { Finding } from './model.js';
import { isExited } from './model.js';
import type { MetricsReport } from './report.js';

/** What the journal says was done, for the counters (`dry-run` entries never count). */
export interface ActionCount {
  action: string;
  outcome: string;
  count: number;
}

/** What the state store adds to a report's metrics. */
export interface StoreFacts {
  /** The last full pass (check, or the daemon's) that acted; null if none has. */
  lastFullPassAt: string | null;
  /** From the journal: monotonic while the state store lives. */
  actions: ActionCount[];
  /** Alert emails not delivered after at least one attempt. */
  undeliveredAlerts: number;
}

export interface MetricsFacts {
  /** Its `containers`: the active ones at least (buildMetricsReport); exited ones count
   *  only in `exited`. */
  report: MetricsReport;
  version: string;
  /** Null when the store could not be read (held in memory): its series are left out,
   *  as counters that fell to 0 would read as a reset and then as new failures. */
  store: StoreFacts | null;
}

type Labels = Record<string, string>;
interface Sample {
  labels: Labels;
  value: number;
}
interface Family {
  name: string;
  help: string;
  type: 'gauge' | 'counter';
  samples: Sample[];
}

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
const PREFIX = 'docker_watchdog_';
const BASE_ACTIONS = [
  ['rotate', 'done'],
  ['rotate', 'failed'],
  ['prune', 'done'],
  ['prune', 'failed'],
  ['hold', 'skipped'],
] as const;

/** A container id as the CLI shows it: short, and unique enough on one host. */
const shortId = (id: string) => id.slice(0, 12);
const seconds = (iso: string) => Date.parse(iso) / 1000;

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  if (Number.isInteger(value)) return String(value);
  // Milliseconds for timestamps and big figures, six significant digits for small ones.
  return String(Math.abs(value) >= 1 ? Math.round(value * 1000) / 1000 : Number(value.toPrecision(6)));
}

function line(name: string, sample: Sample): string {
  const labels = Object.entries(sample.labels)
    .map(([key, value]) => `${key}="${escapeLabel(value)}"`)
    .join(',');
  return `${name}${labels ? `{${labels}}` : ''} ${formatValue(sample.value)}`;
}

/** Plain code-unit order: the first localeCompare of a process loads ICU's collation
 *  (30 ms and more here, measured by npm run bench), for an order no one reads. */
const codeUnitOrder = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const inCodeOrder = (a: [string, unknown], b: [string, unknown]) => codeUnitOrder(a[0], b[0]);

/** What the metrics read of the findings, in one pass. A host has a finding per exited
 *  container with an uncapped log (UNBOUNDED_LOG): at 10,000 the rendering took 10.2 ms
 *  with three passes, one of them building a "code severity" key per finding, and 5.5
 *  ms with this one (medians of 9 interleaved fresh processes, bench/metrics-once.ts on
 *  the bench's report; issue #14). */
function tallyFindings(findings: readonly Finding[]) {
  const failedCollectors: string[] = [];
  const runaway: Array<Finding & { containerId: string }> = [];
  const counts = new Map<string, Map<string, number>>();
  for (const f of findings) {
    if (f.code === 'COLLECTOR_FAILED' && f.subject) failedCollectors.push(f.subject);
    if (f.code === 'RUNAWAY_LOG' && f.containerId !== undefined) runaway.push(f as Finding & { containerId: string });
    let bySeverity = counts.get(f.code);
    if (!bySeverity) counts.set(f.code, (bySeverity = new Map()));
    bySeverity.set(f.severity, (bySeverity.get(f.severity) ?? 0) + 1);
  }
  return { failedCollectors, runaway, counts };
}

/** The families of one report, in a fixed order; a family without samples is left out
 *  (an absent series is what Prometheus reads as "not measured"). */
function metricFamilies(facts: MetricsFacts): Family[] {
  const { report } = facts;
  const families: Family[] = [];
  const family = (name: string, type: Family['type'], help: string, samples: Array<Sample | null>) =>
    families.push({ name: `${PREFIX}${name}`, type, help, samples: samples.filter((s): s is Sample => s !== null) });
  const one = (value: number | null | undefined, labels: Labels = {}): Sample | null => (value === null || value === undefined ? null : { labels, value });

  const engine = report.engine;
  family('info', 'gauge', 'The watchdog and the engine it watches; always 1.', [
    { labels: { version: facts.version, engine_id: engine?.id ?? '', engine_version: engine?.serverVersion ?? '', storage_driver: engine?.storageDriver ?? '', hostname: engine?.hostName ?? '' }, value: 1 },
  ]);
  family('last_run_timestamp_seconds', 'gauge', 'When these figures were taken (a run, or the daemon\'s last space tick), in seconds since the epoch.', [one(seconds(report.generatedAt))]);
  const store = facts.store;
  family('last_full_pass_timestamp_seconds', 'gauge', 'When the last full pass that acts (watchdog check, or the daemon\'s) ran, in seconds since the epoch.', [
    one(store?.lastFullPassAt ? seconds(store.lastFullPassAt) : null),
  ]);
  // A collector fails in its timing, or only in a COLLECTOR_FAILED finding: one that
  // could not run at all (logs without root), or failed for some items (drift, footprint).
  const tally = tallyFindings(report.findings);
  const failed = new Set([...report.collectors.filter((c) => !c.ok).map((c) => c.collector), ...tally.failedCollectors]);
  const collectors = [...new Set([...report.collectors.map((c) => c.collector), ...failed])];
  family('collector_success', 'gauge', 'Whether the collector worked in the last run (1) or failed (0).', collectors.map((collector) => one(failed.has(collector) ? 0 : 1, { collector })));
  family('collector_duration_seconds', 'gauge', 'How long the collector took in the last run.', report.collectors.map((c) => one(c.seconds, { collector: c.collector })));

  // Spaces: the engine's data space (thin pool or the filesystem under DockerRootDir),
  // a thin pool's metadata, and containerd's root when it is another filesystem.
  const storage = report.storage;
  const spaces = storage
    ? [
        { space: 'data', figures: storage.data },
        { space: 'metadata', figures: storage.metadata },
        { space: 'image-store', figures: storage.imageStore?.data ?? null },
      ].filter((s) => s.figures !== null)
    : [];
  family('space_used_bytes', 'gauge', 'Bytes used in the space (data, metadata, image-store).', spaces.map((s) => one(s.figures!.usedBytes, { space: s.space })));
  family('space_available_bytes', 'gauge', 'Bytes still available in the space.', spaces.map((s) => one(s.figures!.availableBytes, { space: s.space })));
  family('space_size_bytes', 'gauge', 'Size of the space in bytes.', spaces.map((s) => one(s.figures!.totalBytes, { space: s.space })));
  const inodes = storage
    ? [
        { space: 'data', figures: storage.inodes },
        { space: 'image-store', figures: storage.imageStore?.inodes ?? null },
      ].filter((s) => s.figures !== null)
    : [];
  family('inodes_used', 'gauge', 'Inodes used on the filesystem of the space.', inodes.map((s) => one(s.figures!.used, { space: s.space })));
  family('inodes_capacity', 'gauge', 'Inodes the filesystem of the space holds.', inodes.map((s) => one(s.figures!.total, { space: s.space })));
  family('thin_pool_minimum_free_bytes', 'gauge', 'The thin pool\'s minimum free space: the engine refuses new containers below it.', [one(storage?.thinPool?.minimumFreeBytes)]);

  const perSecond = (perHour: number | null | undefined) => (perHour === null || perHour === undefined ? null : perHour / 3600);
  const untilFull = (fullAt: string | null | undefined) => (fullAt ? Math.max(0, seconds(fullAt) - seconds(report.generatedAt)) : null);
  family('space_growth_bytes_per_second', 'gauge', 'How fast the data space fills, from the state store\'s history.', [one(perSecond(storage?.forecast?.growthBytesPerHour), { space: 'data' })]);
  family('space_full_in_seconds', 'gauge', 'Seconds until the data space is full at its trend; absent when it is not filling.', [one(untilFull(storage?.forecast?.fullAt), { space: 'data' })]);
  family('inodes_full_in_seconds', 'gauge', 'Seconds until the inodes run out at their trend; absent when they are not.', [one(untilFull(storage?.inodeForecast?.fullAt), { space: 'data' })]);

  const usage = report.usage;
  const kinds = usage
    ? [
        { kind: 'images', line: usage.images },
        { kind: 'containers', line: usage.containers },
        { kind: 'volumes', line: usage.volumes },
        { kind: 'build-cache', line: usage.buildCache },
      ]
    : [];
  family('usage_bytes', 'gauge', 'What docker system df counts, by kind.', kinds.map((k) => one(k.line.sizeBytes, { kind: k.kind })));
  family('usage_reclaimable_bytes', 'gauge', 'What docker system df calls reclaimable, by kind.', kinds.map((k) => one(k.line.reclaimableBytes, { kind: k.kind })));

  // Per container: running ones only (an exited container's log is in the exited sums).
  // A container list that failed (in part or whole) counts nothing: its sums would read
  // as measured.
  const byNameThenId = (a: { name: string; id: string }, b: { name: string; id: string }) => codeUnitOrder(a.name, b.name) || codeUnitOrder(a.id, b.id);
  const listed = !failed.has('containers');
  const running = listed ? report.containers.filter((c) => !isExited(c.state)).sort(byNameThenId) : [];
  const who = (c: { name: string; id: string }) => ({ container: c.name, container_id: shortId(c.id) });
  family('log_bytes', 'gauge', 'Bytes of a running container\'s json-file log and its rotated files; bounded="no" when the engine does not cap it.', running.map((c) => one(c.log.bytes, { ...who(c), bounded: c.log.bounded ? 'yes' : 'no' })));
  family('log_growth_bytes_per_second', 'gauge', 'How fast a running container\'s log grows, from the state store\'s history.', running.map((c) => one(perSecond(c.log.growthBytesPerHour), who(c))));
  family('log_runaway_bytes_per_second', 'gauge', 'A log growing so fast that it alone fills the data space within watch.horizon (watchdog watch only).', tally.runaway.map((f) => one(f.bytesPerSecond, { container: f.subject ?? '', container_id: shortId(f.containerId) })));

  const exited = listed ? report.exited : { count: null, sizeRwBytes: null, footprintBytes: null, footprintInodes: null, logBytes: null };
  family('exited_containers', 'gauge', 'Exited (and created, dead) containers.', [one(exited.count)]);
  family('exited_size_rw_bytes', 'gauge', 'What docker system df counts for the exited containers (SizeRw).', [one(exited.sizeRwBytes)]);
  family('exited_footprint_bytes', 'gauge', 'What the exited containers really take on disk: their folders and layers.', [one(exited.footprintBytes)]);
  family('exited_footprint_inodes', 'gauge', 'Inodes the exited containers take.', [one(exited.footprintInodes)]);
  family('exited_log_bytes', 'gauge', 'Bytes of the exited containers\' logs.', [one(exited.logBytes)]);

  const byCode = [...tally.counts].sort(inCodeOrder).flatMap(([code, bySeverity]) => [...bySeverity].sort(inCodeOrder).map(([severity, value]) => ({ labels: { code, severity }, value })));
  family('findings', 'gauge', 'Current findings by code and severity (see watchdog report).', byCode);

  // The usual actions are there from the start at 0, so that increase() sees the first one.
  const counts = new Map<string, ActionCount>(store ? BASE_ACTIONS.map(([action, outcome]) => [`${action} ${outcome}`, { action, outcome, count: 0 }]) : []);
  for (const a of store?.actions ?? []) counts.set(`${a.action} ${a.outcome}`, a);
  family('actions_total', 'counter', 'Actions the watchdog took, from its journal, by action and outcome (a hold is journalled as skipped: nothing was removed).', [...counts.keys()].sort().map((key) => {
    const { action, outcome, count } = counts.get(key)!;
    return one(count, { action, outcome });
  }));
  family('alerts_undelivered', 'gauge', 'Alert emails not delivered after at least one attempt.', [one(store?.undeliveredAlerts)]);
  return families.filter((f) => f.samples.length > 0);
}

/** The exposition in Prometheus' text format (version 0.0.4). */
export function renderMetrics(facts: MetricsFacts): string {
  const out: string[] = [];
  for (const f of metricFamilies(facts)) {
    out.push(`# HELP ${f.name} ${f.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`, `# TYPE ${f.name} ${f.type}`);
    for (const s of f.samples) out.push(line(f.name, s));
  }
  return `${out.join('\n')}\n`;
}
