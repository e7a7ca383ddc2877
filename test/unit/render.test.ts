// How findings read in the text: grouped by code and severity, decided on their typed
// fields (sizes, subjects), never on their wording.

import { describe, expect, it } from 'vitest';
import type { Finding } from '../../src/core/model.js';
import { findingLines } from '../../src/core/render/findings.js';

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
