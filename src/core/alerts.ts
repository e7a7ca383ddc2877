// When to tell an operator, and what the email says (issue #5). Pure: the findings, the
// alert state of earlier runs, the actions and `now` come in; the notifications, the
// next state and the digest go out.
//
// Each alert key (data space, metadata space, inodes, each container's log, each held
// container, the watchdog's own failures) notifies when it escalates (ok -> warning ->
// critical), again while it keeps firing once the cooldown has passed, and once when it
// resolves. All that one run has to say is one digest; a run with nothing new sends
// nothing.

import prettyBytes from 'pretty-bytes';
import { bytesFreed } from './actions.js';
import { MINUTE } from './durations.js';
import type { Finding, Severity, Snapshot, SpaceName } from './model.js';
import type { Trends } from './trends.js';

export type Level = 'ok' | 'warning' | 'critical';

export interface AlertState {
  key: string;
  level: Level;
  /** The finding's message when it last fired. */
  message: string;
  /** ms since the epoch; null while it has not been notified at this level. */
  lastNotifiedAt: number | null;
}

export interface Notification {
  key: string;
  kind: 'new' | 'escalated' | 'repeat' | 'resolved';
  level: Level;
  message: string;
}

export interface ActionLine {
  action: string;
  target: string;
  message: string;
  bytesFreed: number | null;
}

export interface Digest {
  subject: string;
  body: string;
}

const RANK: Record<Level, number> = { ok: 0, warning: 1, critical: 2 };

// The stored keys of the spaces, as earlier versions named them (alert state outlives
// upgrades: a renamed key would mail a RESOLVED and a NEW for one unchanged problem).
// The image store's inodes are a key of their own since issue #8 (they shared
// `inodes` before): on a host with both low, the upgrade mails that once.
const SPACE_KEY: Record<SpaceName, string> = {
  data: 'data-space',
  metadata: 'metadata-space',
  inodes: 'inodes',
  'image-store': 'image-store-space',
  'image-store-inodes': 'image-store-inodes',
};

const DEFAULT_SPACE = { DATA_SPACE_LOW: 'data', METADATA_SPACE_LOW: 'metadata', INODES_LOW: 'inodes' } as const;

/** The alert key a finding belongs to, or null for findings that are not alerts. */
function alertKeyOf(finding: Finding): string | null {
  switch (finding.code) {
    case 'DATA_SPACE_LOW':
    case 'METADATA_SPACE_LOW':
    case 'INODES_LOW':
      // A space finding always says which space (core/evaluate.ts); without it, the
      // code's own space, so that it still alerts.
      return SPACE_KEY[finding.space ?? DEFAULT_SPACE[finding.code]];
    case 'UNBOUNDED_LOG':
    case 'LOG_LIMIT_TOO_BIG':
    case 'LOG_GROWTH':
    case 'LOG_CORRUPT':
      return `log:${finding.containerId}`;
    case 'DRIFT_SUSPICIOUS':
      return `held:${finding.containerId}`;
    case 'DRIFT_LABEL_IGNORED':
      return `label:${finding.containerId}`;
    case 'CONTAINER_THAWED':
      return `frozen:${finding.containerId}`;
    case 'ROTATION_NO_SPACE':
      return 'archive-space';
    case 'RUNAWAY_LOG':
      return `runaway:${finding.containerId}`;
    case 'SPACE_RUNAWAY':
      return 'space-runaway';
    case 'STATE_UNAVAILABLE':
      return 'state';
    // The audit (issue #13): a container alerts once for all its mounts, and once for
    // all its privileges; each user of the socket is a key of their own.
    case 'HOST_ROOT_MOUNT':
      return `host-mount:${finding.containerId}`;
    case 'PRIVILEGED_CONTAINER':
      return `privileged:${finding.containerId}`;
    case 'DOCKER_GROUP_MEMBERS':
      return `socket-user:${finding.subject}`;
    // One key per container for all its setuid files (a critical one only: the info one,
    // paths not checked, alerts nobody).
    case 'SETUID_DRIFT':
      return `setuid:${finding.containerId}`;
    case 'NO_MAC':
      return 'no-mac';
    case 'DAEMON_LOG_DEFAULTS':
      return 'log-defaults';
    // Info by default, so it alerts only when audit.severity raises it.
    case 'WRITABLE_ROOTFS':
      return `readonly:${finding.containerId}`;
    // One alert per container while its last check is suspicious (issue #13).
    case 'RUNNING_DRIFT':
      return `running-drift:${finding.containerId}`;
    case 'COLLECTOR_FAILED':
    case 'ACTION_FAILED':
      return 'watchdog';
    // Not CONTAINER_PAUSED (info): someone paused it, and it alerts nobody.
    // Not ALERT_DELIVERY_FAILED: a mail about mail not going out could only arrive once
    // mail goes out again, together with what was queued. `report` shows it instead.
    default:
      return null;
  }
}

/** The worst warning or critical finding of each key. Info findings alert nobody. */
function currentAlerts(findings: readonly Finding[]): Map<string, { level: Level; message: string }> {
  const current = new Map<string, { level: Level; message: string }>();
  for (const f of findings) {
    const key = alertKeyOf(f);
    if (key === null || f.severity === 'info') continue;
    const level: Level = f.severity as Exclude<Severity, 'info'>;
    const seen = current.get(key);
    if (!seen || RANK[level] > RANK[seen.level]) current.set(key, { level, message: f.message });
  }
  return current;
}

export function decideAlerts(previous: AlertState[], findings: readonly Finding[], now: number, cooldownMs: number): { notify: Notification[]; next: AlertState[] } {
  const current = currentAlerts(findings);
  const notify: Notification[] = [];
  const next: AlertState[] = [];
  const before = new Map(previous.map((s) => [s.key, s]));

  for (const [key, { level, message }] of current) {
    const was = before.get(key);
    if (!was || was.level === 'ok') {
      notify.push({ key, kind: 'new', level, message });
      next.push({ key, level, message, lastNotifiedAt: now });
    } else if (RANK[level] > RANK[was.level]) {
      notify.push({ key, kind: 'escalated', level, message });
      next.push({ key, level, message, lastNotifiedAt: now });
    } else if (was.lastNotifiedAt === null || now - was.lastNotifiedAt >= cooldownMs) {
      notify.push({ key, kind: 'repeat', level, message });
      next.push({ key, level, message, lastNotifiedAt: now });
    } else {
      // Still firing (or eased from critical to warning) within the cooldown: quiet.
      next.push({ key, level, message, lastNotifiedAt: was.lastNotifiedAt });
    }
  }
  for (const was of previous) {
    // unit:* keys belong to `watchdog alert failure` (systemd OnFailure=): a check run
    // neither raises nor resolves them, it only keeps them.
    if (was.key.startsWith(UNIT_KEY)) next.push(was);
    else if (!current.has(was.key) && was.level !== 'ok') notify.push({ key: was.key, kind: 'resolved', level: 'ok', message: was.message });
  }
  return { notify, next };
}

const UNIT_KEY = 'unit:';

/**
 * `watchdog alert failure UNIT` (systemd's OnFailure=): a unit that fails every 5
 * minutes (an engine that is down) is mailed once per cooldown, like any alert that
 * keeps firing. Null when it is still within the cooldown.
 */
export function decideUnitFailure(previous: AlertState[], unit: string, now: number, cooldownMs: number): AlertState[] | null {
  const key = `${UNIT_KEY}${unit}`;
  const last = previous.find((s) => s.key === key)?.lastNotifiedAt ?? null;
  if (last !== null && now - last < cooldownMs) return null;
  return [...previous.filter((s) => s.key !== key), { key, level: 'critical', message: `${unit} failed`, lastNotifiedAt: now }];
}

/** The message of a failed unit. */
export function unitFailureMessage(prefix: string, host: string, unit: string, now: Date): Digest {
  return {
    subject: headerSafe(`${prefix} CRITICAL ${host}: ${unit} failed`),
    body: `docker-watchdog on ${host}, ${now.toISOString()}\n\nThe unit ${unit} failed: the watchdog itself did not complete its check.\nSee: systemctl status ${unit}; journalctl -u ${unit}\n`,
  };
}

/** The message of `watchdog alert test`. */
export function testMessage(prefix: string, host: string, now: Date): Digest {
  return { subject: headerSafe(`${prefix} TEST ${host}: alert email works`), body: `A test message from docker-watchdog on ${host}, ${now.toISOString()}.\n` };
}

/** What an alert email adds to its findings: the biggest logs and the forecast. */
export function alertContext(snapshot: Snapshot, trends: Trends): string[] {
  const lines: string[] = [];
  const forecast = trends.data;
  if (forecast?.fullAt) lines.push(`Forecast: data space full at ${forecast.fullAt} (${forecast.basis}).`);
  const logs = snapshot.containers.filter((c) => c.logFiles && c.logFiles.bytes > 0).sort((a, b) => b.logFiles!.bytes - a.logFiles!.bytes);
  if (logs.length > 0) {
    lines.push('Biggest logs:');
    for (const c of logs.slice(0, 3)) lines.push(`  ${c.name}: ${prettyBytes(c.logFiles!.bytes)}${c.logConfig.bounded ? '' : ' (no max-size)'}`);
  }
  return lines;
}

/** Alert emails waiting in the outbox after a failed delivery: ALERT_DELIVERY_FAILED. */
export function deliveryFindings(outbox: { count: number; oldest: number | null; lastError: string | null }): Finding[] {
  if (outbox.count === 0) return [];
  return [
    {
      code: 'ALERT_DELIVERY_FAILED',
      severity: 'warning',
      message: `${outbox.count} alert email${outbox.count > 1 ? 's' : ''} not delivered since ${new Date(outbox.oldest!).toISOString()}, kept in the outbox: ${outbox.lastError}`,
    },
  ];
}

/** An "all quiet" message is due when nothing went out for `heartbeatMs` and nothing
 *  waits to go: silence must mean "all is well", not "the watchdog stopped". */
export function heartbeatDue(heartbeatMs: number | null, lastSentAt: number | null, waiting: number, now: number): boolean {
  return heartbeatMs !== null && now - (lastSentAt ?? 0) >= heartbeatMs && waiting === 0;
}

/** Header values come from whoever named the host: no line breaks, no control bytes. */
export function headerSafe(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim().slice(0, 200);
}

/** Body text is plain text, but still keep control bytes (other than newlines) out. */
const bodySafe = (text: string): string => text.replace(/[\u0000-\u0009\u000b-\u001f\u007f]/g, ' ');

const KIND_WORD: Record<Notification['kind'], string> = { new: 'NEW', escalated: 'WORSE', repeat: 'STILL', resolved: 'RESOLVED' };

export interface DigestInput {
  prefix: string;
  host: string;
  notifications: Notification[];
  actions: ActionLine[];
  /** Lines on the biggest offenders and the forecast, written by the caller. */
  context: string[];
  now: Date;
}

/**
 * `[docker-watchdog] CRITICAL web-01: data space 93.1% used (thin pool): ...`, then a
 * plain-text body. The headline is the worst notification; a digest of only resolved
 * keys says RESOLVED.
 */
export function composeDigest(input: DigestInput): Digest {
  const order = [...input.notifications].sort((a, b) => RANK[b.level] - RANK[a.level]);
  const worst = order[0];
  const level = worst && worst.level !== 'ok' ? worst.level.toUpperCase() : 'RESOLVED';
  const headline = worst ? worst.message : 'all quiet';
  const more = input.notifications.length > 1 ? ` (+${input.notifications.length - 1} more)` : '';
  const subject = headerSafe(`${input.prefix} ${level} ${input.host}: ${headline}${more}`);

  const lines = [`docker-watchdog on ${input.host}, ${input.now.toISOString()}`, ''];
  if (order.length > 0) {
    lines.push('Alerts:');
    for (const n of order) lines.push(`  ${KIND_WORD[n.kind].padEnd(8)} ${(n.level === 'ok' ? '' : n.level.toUpperCase()).padEnd(8)} ${n.message}`);
    lines.push('');
  }
  if (input.actions.length > 0) {
    const freed = bytesFreed(input.actions);
    lines.push(`Done this run${freed > 0 ? `, ${prettyBytes(freed)} freed` : ''}:`);
    for (const a of input.actions) lines.push(`  ${a.action} ${a.target}: ${a.message}`);
    lines.push('');
  }
  if (input.context.length > 0) lines.push(...input.context, '');
  lines.push('Run `watchdog report` on the host for the whole picture.');
  return { subject, body: bodySafe(lines.join('\n')) + '\n' };
}

/** The heartbeat: what was done, and that nothing needs attention. */
export function heartbeatDigest(input: Omit<DigestInput, 'notifications'>): Digest {
  const { body } = composeDigest({ ...input, notifications: [] });
  return { subject: headerSafe(`${input.prefix} OK ${input.host}: all quiet (heartbeat)`), body };
}

/** Minutes to wait before the next attempt at an undelivered message. */
export function retryDelayMs(attempts: number): number {
  const minutes = [1, 5, 15, 60, 180, 360];
  return minutes[Math.min(Math.max(attempts, 1), minutes.length) - 1]! * MINUTE;
}
