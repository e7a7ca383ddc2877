// Findings as people read them: worst first, and findings of one code and severity
// grouped into one line with their count and biggest cases, so that 25 empty logs of
// finished containers do not bury the one finding that matters (issue #8). --json keeps
// every finding.

import prettyBytes from 'pretty-bytes';
import type { Finding, FindingCode, Severity } from '../model.js';
import { count, painter, SEVERITY_STYLE, visible, type Paint } from './text.js';

/** What a group of findings of one code is, in the plural. */
const GROUP_TITLE: Record<FindingCode, string> = {
  DATA_SPACE_LOW: 'spaces are low',
  METADATA_SPACE_LOW: 'metadata spaces are low',
  INODES_LOW: 'inode tables are low',
  THIN_POOL_LOOPBACK: 'thin pools run on loop files',
  UNBOUNDED_LOG: 'json-file logs have no max-size',
  LOG_LIMIT_TOO_BIG: 'log limits (max-size x max-file) larger than a share of the space',
  LOG_GROWTH: 'logs grow faster than logs.maxGrowthPerDay',
  LOG_CORRUPT: 'logs were damaged by an outside truncation',
  EXITED_CONTAINERS_OVERHEAD: 'exited-container overheads',
  DRIFT_SUSPICIOUS: 'containers changed outside drift.allow',
  DRIFT_LABEL_IGNORED: 'drift labels ignored (they tried to allow system paths)',
  CONTAINER_PAUSED: 'containers are paused',
  CONTAINER_THAWED: 'containers a killed watchdog run had frozen',
  ROTATION_NO_SPACE: 'rotations skipped for want of space',
  STATE_UNAVAILABLE: 'state store problems',
  ALERT_DELIVERY_FAILED: 'alert deliveries failed',
  ACTION_FAILED: 'actions failed',
  COLLECTOR_FAILED: 'collectors failed',
  RUNAWAY_LOG: 'logs fill the space within watch.horizon',
  SPACE_RUNAWAY: 'spaces fill within watch.horizon',
  DOCKER_GROUP_MEMBERS: "users may use the engine's socket without being root (each is effectively root on this host)",
  HOST_ROOT_MOUNT: "bind mounts of the host's system paths or the engine's socket (watchdog audit shows each), in",
  PRIVILEGED_CONTAINER: 'privileges that reach past the container (watchdog audit shows each), in',
  NO_MAC: 'engines without SELinux or AppArmor',
  DAEMON_LOG_DEFAULTS: 'engine log defaults without a cap',
  WRITABLE_ROOTFS: 'running containers that could run read-only, or run read-only out of drift\'s sight (watchdog audit shows each)',
  SETUID_DRIFT: 'setuid or setgid files written inside containers',
  RUNNING_DRIFT: 'running containers changed outside drift.allow',
};

/** Where one severity of a code means something of its own. */
const GROUP_TITLE_OF_SEVERITY: Partial<Record<`${FindingCode}:${Severity}`, string>> = {
  'UNBOUNDED_LOG:info': "stopped containers' json-file logs have no max-size (they grow again if restarted)",
  'DOCKER_GROUP_MEMBERS:info': "users may use a rootless engine's socket (each acts as the user who runs it)",
  'SETUID_DRIFT:info': 'containers with more changed files than drift.maxModeChecks (the rest were not checked for setuid)',
};

/** How big a case is, to list the biggest first. */
const magnitude = (f: Finding): number => f.logBytes ?? f.bytesPerDay ?? 0;

/** Messages and cases name containers and paths: they are shown escaped (visible). */

/** Codes whose group title says all their messages say: a case is its container. */
const SAID_BY_TITLE = new Set<FindingCode>(['UNBOUNDED_LOG', 'LOG_GROWTH', 'LOG_CORRUPT', 'DOCKER_GROUP_MEMBERS', 'HOST_ROOT_MOUNT', 'PRIVILEGED_CONTAINER']);

/** A case of a group: the container and its size, where the group's title says the
 *  rest; else the whole message, which says what to do next ("run as root", "docker
 *  unpause ..."). */
function caseText(f: Finding): string {
  if (f.subject === undefined || !SAID_BY_TITLE.has(f.code)) return f.message;
  if (f.logBytes !== undefined) return `${f.subject} ${prettyBytes(f.logBytes)}`;
  if (f.bytesPerDay !== undefined) return `${f.subject} +${prettyBytes(f.bytesPerDay)}/day`;
  return f.subject;
}

export interface FindingLayout {
  /** How many cases a group line names. */
  top: number;
  paint?: Paint;
  /** 'table': indented, the severity padded to a column (the report); 'plain': one
   *  space between the parts (check's output, which cron mails). */
  layout: 'table' | 'plain';
}

export function findingLines(findings: readonly Finding[], { top, paint = painter(false), layout }: FindingLayout): string[] {
  const groups = new Map<string, Finding[]>();
  for (const f of findings) {
    const key = `${f.severity}:${f.code}`;
    groups.set(key, [...(groups.get(key) ?? []), f]);
  }
  const width = layout === 'table' ? Math.max(0, ...findings.map((f) => f.severity.length)) : 0;
  const [indent, gap] = layout === 'table' ? ['  ', '  '] : ['', ' '];
  const lines: string[] = [];
  for (const group of groups.values()) {
    const first = group[0]!;
    const severity = paint(SEVERITY_STYLE[first.severity], first.severity.toUpperCase().padEnd(width));
    if (group.length === 1) {
      lines.push(`${indent}${severity}${gap}${first.code}${gap}${visible(first.message)}`);
      continue;
    }
    const biggest = [...group].sort((a, b) => magnitude(b) - magnitude(a));
    // A container with two such mounts is one case of its group.
    const unique = [...new Set(biggest.map(caseText))];
    const cases = visible(unique.slice(0, top).join(', '));
    const more = unique.length > top ? ` and ${count(unique.length - top)} more (see --json)` : '';
    lines.push(`${indent}${severity}${gap}${first.code}${gap}${count(group.length)} ${GROUP_TITLE_OF_SEVERITY[`${first.code}:${first.severity}`] ?? GROUP_TITLE[first.code]}: ${cases}${more}`);
  }
  return lines;
}
