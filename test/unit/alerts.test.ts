import { describe, expect, it } from 'vitest';
import { composeDigest, decideAlerts, decideUnitFailure, headerSafe, retryDelayMs, type AlertState } from '../../src/core/alerts.js';
import type { Finding } from '../../src/core/model.js';

const HOUR = 3_600_000;
const COOLDOWN = 6 * HOUR;
const data = (severity: Finding['severity'], pct = 85): Finding => ({ code: 'DATA_SPACE_LOW', severity, space: 'data', message: `data space ${pct}% used (/var/lib/docker)` });

/** Runs findings through decideAlerts one run after another; returns what each run said. */
function runs(sequence: Array<[number, Finding[]]>): string[][] {
  let state: AlertState[] = [];
  return sequence.map(([hours, findings]) => {
    const { notify, next } = decideAlerts(state, findings, hours * HOUR, COOLDOWN);
    state = next;
    return notify.map((n) => `${n.kind} ${n.key} ${n.level}`);
  });
}

describe('decideAlerts', () => {
  it('notifies on escalation, again after the cooldown, and once on resolution', () => {
    expect(
      runs([
        [0, []],
        [1, [data('warning')]],
        [2, [data('warning')]], // within the cooldown: quiet
        [3, [data('critical', 93)]], // escalated
        [4, [data('critical', 94)]],
        [9.5, [data('critical', 95)]], // 6.5 h after the last notice
        [10, [data('warning')]], // eased: quiet
        [11, []], // resolved
        [12, []],
      ]),
    ).toEqual([
      [],
      ['new data-space warning'],
      [],
      ['escalated data-space critical'],
      [],
      ['repeat data-space critical'],
      [],
      ['resolved data-space ok'],
      [],
    ]);
  });

  it('keys logs and held containers per container, and ignores info findings', () => {
    const findings: Finding[] = [
      { code: 'UNBOUNDED_LOG', severity: 'warning', containerId: 'a', message: 'a' },
      { code: 'LOG_GROWTH', severity: 'warning', containerId: 'a', message: 'a grows' },
      { code: 'UNBOUNDED_LOG', severity: 'info', containerId: 'b', message: 'b' },
      { code: 'DRIFT_SUSPICIOUS', severity: 'critical', containerId: 'c', message: 'c' },
      { code: 'COLLECTOR_FAILED', severity: 'warning', message: 'usage: boom' },
      { code: 'EXITED_CONTAINERS_OVERHEAD', severity: 'warning', message: 'x' },
    ];
    expect(decideAlerts([], findings, 0, COOLDOWN).notify.map((n) => n.key)).toEqual(['log:a', 'held:c', 'watchdog']);
  });

  it('keys space findings by the space they are about, never by their wording', () => {
    const space = (space: Finding['space'], message: string): Finding => ({ code: space === 'inodes' || space === 'image-store-inodes' ? 'INODES_LOW' : 'DATA_SPACE_LOW', severity: 'warning', space, message });
    const findings = [space('data', 'image store space 85% used'), space('image-store', 'data space 85% used'), space('inodes', 'x'), space('image-store-inodes', 'x')];
    expect(decideAlerts([], findings, 0, COOLDOWN).notify.map((n) => n.key)).toEqual(['data-space', 'image-store-space', 'inodes', 'image-store-inodes']);
  });

  it('mails a failed unit once per cooldown, and keeps its key through check runs', () => {
    const first = decideUnitFailure([], 'docker-watchdog.service', 0, COOLDOWN)!;
    expect(first).toEqual([{ key: 'unit:docker-watchdog.service', level: 'critical', message: 'docker-watchdog.service failed', lastNotifiedAt: 0 }]);
    expect(decideUnitFailure(first, 'docker-watchdog.service', 5 * HOUR, COOLDOWN)).toBeNull();
    expect(decideUnitFailure(first, 'docker-watchdog.service', 6 * HOUR, COOLDOWN)).toHaveLength(1);
    expect(decideAlerts(first, [], HOUR, COOLDOWN)).toEqual({ notify: [], next: first });
  });
});

describe('composeDigest', () => {
  const now = new Date('2026-11-28T12:00:00Z');

  it('names the host and the worst level in the subject', () => {
    const digest = composeDigest({
      prefix: '[docker-watchdog]',
      host: 'web-01',
      notifications: [
        { key: 'log:a', kind: 'new', level: 'warning', message: 'api: json-file log has no max-size (3 GB)' },
        { key: 'data-space', kind: 'escalated', level: 'critical', message: 'data space 93.1% used (thin pool): 7 GB available of 100 GB' },
      ],
      actions: [{ action: 'prune', target: 'job-1', message: 'removed', bytesFreed: 140_000 }],
      context: ['Forecast: data space full at 2026-11-29T03:00:00.000Z (trend of 12 samples over 11 h).'],
      now,
    });
    expect(digest.subject).toBe('[docker-watchdog] CRITICAL web-01: data space 93.1% used (thin pool): 7 GB available of 100 GB (+1 more)');
    expect(digest.body).toContain('  WORSE    CRITICAL data space 93.1% used');
    expect(digest.body).toContain('Done this run, 140 kB freed:\n  prune job-1: removed');
    expect(digest.body).toContain('Forecast: data space full at 2026-11-29T03:00:00.000Z');
  });

  it('says RESOLVED when all it has to say is that things got better', () => {
    const digest = composeDigest({ prefix: '[dw]', host: 'h', notifications: [{ key: 'inodes', kind: 'resolved', level: 'ok', message: 'inodes 91% used' }], actions: [], context: [], now });
    expect(digest.subject).toBe('[dw] RESOLVED h: inodes 91% used');
  });

  it('keeps names with HTML and line breaks inert: one header line, plain text', () => {
    const evil = 'x</pre><script>alert(1)</script>\r\nBcc: victim@example.com\nSubject: pwned';
    const digest = composeDigest({ prefix: '[dw]', host: evil, notifications: [{ key: 'log:e', kind: 'new', level: 'warning', message: `${evil}: json-file log has no max-size` }], actions: [], context: [], now });
    expect(digest.subject).not.toMatch(/[\r\n]/);
    expect(digest.subject).toBe('[dw] WARNING x</pre><script>alert(1)</script> Bcc: victim@example.com Subject: pwned: x</pre><script>alert(1)</script> Bcc: victim@example.com Subject: pwned: json-file log has no max-size');
    // The body is text/plain: the markup is shown, never interpreted; no header can start in it.
    expect(digest.body).toContain('<script>alert(1)</script>');
    expect(digest.body).not.toContain('\r');
    expect(headerSafe('a\u0000b\u001bc')).toBe('a b c');
  });
});

describe('retryDelayMs', () => {
  it('backs off from a minute to six hours', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 50].map((n) => retryDelayMs(n) / 60_000)).toEqual([1, 5, 15, 60, 180, 360, 360, 360]);
  });
});
