// How findings read in the text: grouped by code and severity, decided on their typed
// fields (sizes, subjects), never on their wording.

import { describe, expect, it } from 'vitest';
import type { Finding } from '../../src/core/model.js';
import { renderDrift, renderPruning } from '../../src/core/render/actions.js';
import { findingLines } from '../../src/core/render/findings.js';
import { COLUMN_WIDTH, table, truncate, visible } from '../../src/core/render/text.js';

const log = (name: string, logBytes: number | undefined, severity: Finding['severity'] = 'info'): Finding => ({
  code: 'UNBOUNDED_LOG',
  severity,
  containerId: name,
  subject: name,
  ...(logBytes === undefined ? {} : { logBytes }),
  message: `${name}: json-file log has no max-size`,
});

describe('findingLines', () => {
  it('keeps a finding alone on its line, whole', () => {
    expect(findingLines([log('web', 1_320_000, 'warning')], { top: 5, layout: 'plain' })).toEqual(['WARNING UNBOUNDED_LOG web: json-file log has no max-size']);
  });

  it('groups one code and severity into one line, the biggest first, at most `top` of them', () => {
    const findings = [log('a', 10), log('b', 3_000), log('c', undefined), log('d', 200), log('web', 5_000, 'warning')];
    expect(findingLines(findings, { top: 2, layout: 'table' })).toEqual([
      "  INFO     UNBOUNDED_LOG  4 stopped containers' json-file logs have no max-size (they grow again if restarted): b 3 kB, d 200 B and 2 more (see --json)",
      '  WARNING  UNBOUNDED_LOG  web: json-file log has no max-size',
    ]);
  });

  it('lists whole messages for codes without a size, so that what to do next is not lost', () => {
    const failed: Finding[] = [
      { code: 'COLLECTOR_FAILED', severity: 'warning', subject: 'logs', message: 'logs: /var/lib/docker is not readable by this user; run as root' },
      { code: 'COLLECTOR_FAILED', severity: 'warning', subject: 'usage', message: 'usage: The engine answered 500 to GET /system/df: boom' },
    ];
    expect(findingLines(failed, { top: 5, layout: 'plain' })).toEqual([
      'WARNING COLLECTOR_FAILED 2 collectors failed: logs: /var/lib/docker is not readable by this user; run as root, usage: The engine answered 500 to GET /system/df: boom',
    ]);
  });
});

describe('hostile names and paths in text output (issue #9, defects 9 and 10)', () => {
  // Every byte a terminal acts on: C0, DEL, C1, and the Unicode line separators and
  // direction overrides.
  const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

  it('shows control characters escaped, and is idempotent', () => {
    expect(visible('/root/a\nb')).toBe('/root/a\\nb');
    expect(visible('x\ry\tz\u001b[2J\u0000\u007f\u009b\u202eq')).toBe('x\\ry\\tz\\x1b[2J\\x00\\x7f\\x9b\\u202eq');
    expect(visible('plain /tmp/ok ünïcödé…')).toBe('plain /tmp/ok ünïcödé…');
    const once = visible('a\nb\u001bc');
    expect(visible(once)).toBe(once);
  });

  it('cuts long cells with an ellipsis, never the last column, and keeps rows one line each', () => {
    expect(truncate('abcdef', 4)).toBe('abc…');
    expect(truncate('abcd', 4)).toBe('abcd');
    const long = 'n'.repeat(250);
    const lines = table(
      [
        ['CONTAINER', 'SIZE', 'WHY'],
        [long, '1 kB', `changes to system paths: A /root/a\nb, A /tmp/${'p'.repeat(200)}`],
        ['evil\r\u001b[31mred', '2 kB', 'ok'],
      ],
      ['l', 'r', 'l'],
      '',
    );
    expect(lines).toHaveLength(3);
    expect(lines[1]).toBe(`${'n'.repeat(COLUMN_WIDTH - 1)}…  1 kB  changes to system paths: A /root/a\\nb, A /tmp/${'p'.repeat(200)}`);
    expect(lines[2]).toBe(`evil\\r\\x1b[31mred${' '.repeat(COLUMN_WIDTH - 'evil\\r\\x1b[31mred'.length)}  2 kB  ok`);
    for (const line of lines) expect(line).not.toMatch(CONTROL);
  });

  it('shows findings, the prune plan and the drift table escaped and bounded', () => {
    const name = `x\u001b]0;pwned\u0007${'y'.repeat(250)}`;
    const finding: Finding = { code: 'DRIFT_SUSPICIOUS', severity: 'critical', containerId: 'id', subject: name, message: `${name}: changes to system paths: A /root/a\nb` };
    const [line] = findingLines([finding], { top: 5, layout: 'plain' });
    expect(line).toBe(`CRITICAL DRIFT_SUSPICIOUS x\\x1b]0;pwned\\x07${'y'.repeat(250)}: changes to system paths: A /root/a\\nb`);

    const drift = { status: 'suspicious' as const, outside: [], critical: [], reason: 'changes to system paths: A /root/a\nb, A /root/c\rd', labelIgnored: [] };
    const item = { containerId: 'id', name, image: 'img\n', finishedAt: null, action: 'hold' as const, code: 'drift-suspicious' as const, reason: `held: ${drift.reason}`, footprintBytes: 1000, drift };
    const outputs = [
      renderPruning({ plan: [item], results: [{ containerId: 'id', name, outcome: 'held', message: 'held; forensic bundle in /a\nb', bytesFreed: null, bundle: '/a\nb', newBundle: true }] }, [], [finding], true),
      renderDrift([{ containerId: 'id', name, drift, error: null, bundle: '/x/y\rz' }], [finding]),
    ];
    for (const out of outputs) {
      expect(out.endsWith('\n')).toBe(true);
      for (const line of out.slice(0, -1).split('\n')) expect(line).not.toMatch(CONTROL);
      // One line per row: the header, the container, then the results.
      for (const row of out.trimEnd().split('\n').slice(0, 2)) expect(Array.from(row).length).toBeLessThan(COLUMN_WIDTH * 2 + 80);
      expect(out).toContain(`x\\x1b]0;pwned\\x07${'y'.repeat(COLUMN_WIDTH - 18)}…`);
    }
  });
});
