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
import type { Finding, Severity } from './model.js';

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

/** The alert key a finding belongs to, or null for findings that are not alerts. */
export function alertKeyOf(finding: Finding): string | null {
  switch (finding.code) {
    case 'DATA_SPACE_LOW':
      return finding.message.startsWith('image store') ? 'image-store-space' : 'data-space';
    case 'METADATA_SPACE_LOW':
      return 'metadata-space';
    case 'INODES_LOW':
      return 'inodes';
    case 'UNBOUNDED_LOG':
    case 'LOG_GROWTH':
    case 'LOG_CORRUPT':
      return `log:${finding.containerId}`;
    case 'DRIFT_SUSPICIOUS':
      return `held:${finding.containerId}`;
    case 'COLLECTOR_FAILED':
    case 'ACTION_FAILED':
      return 'watchdog';
    // Not ALERT_DELIVERY_FAILED: a mail about mail not going out could only arrive once
    // mail goes out again, together with what was queued. `report` shows it instead.
    default:
      return null;
  }
}

/** The worst warning or critical finding of each key. Info findings alert nobody. */
export function currentAlerts(findings: Finding[]): Map<string, { level: Level; message: string }> {
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

export function decideAlerts(previous: AlertState[], findings: Finding[], now: number, cooldownMs: number): { notify: Notification[]; next: AlertState[] } {
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
    if (was.key.startsWith('unit:')) next.push(was);
    else if (!current.has(was.key) && was.level !== 'ok') notify.push({ key: was.key, kind: 'resolved', level: 'ok', message: was.message });
  }
  return { notify, next };
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
    const freed = input.actions.reduce((sum, a) => sum + (a.bytesFreed ?? 0), 0);
    lines.push(`Done this run${freed > 0 ? `, ${prettyBytes(freed)} freed` : ''}:`);
    for (const a of input.actions) lines.push(`  ${a.action} ${a.target}: ${a.message}`);
    lines.push('');
  }
  if (input.context.length > 0) lines.push(...input.context, '');
  lines.push('Run `watchdog report` on the host for the whole picture.');
  return { subject, body: bodySafe(lines.join('\n')) + '\n' };
}

/** Minutes to wait before the next attempt at an undelivered message. */
export function retryDelayMs(attempts: number): number {
  const minutes = [1, 5, 15, 60, 180, 360];
  return minutes[Math.min(Math.max(attempts, 1), minutes.length) - 1]! * 60_000;
}
