import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG_TEXT } from '../../src/commands/config.js';
import { DEFAULT_CONFIG } from '../../src/config/config.js';
import { parseConfig } from '../../src/config/parse.js';
import { DEFAULT_THRESHOLDS } from '../../src/core/evaluate.js';
import { ConfigError } from '../../src/errors.js';

describe('parseConfig', () => {
  it('gives the defaults for an empty file', () => {
    expect(parseConfig('', 'x.yaml')).toEqual(DEFAULT_CONFIG);
  });

  it('reads thresholds as percentages and sizes as decimal bytes', () => {
    const config = parseConfig('thresholds:\n  data: { warning: 70%, critical: 85% }\n  inodes: { critical: 95 }\nlogs:\n  maxGrowthPerDay: 500MB\nusage:\n  maxAge: 10m\n', 'x.yaml');
    expect(config.usageMaxAgeMs).toBe(600_000);
    expect(config.thresholds).toMatchObject({
      data: { warning: 0.7, critical: 0.85 },
      metadata: DEFAULT_THRESHOLDS.metadata,
      inodes: { warning: 0.8, critical: 0.95 },
      logGrowthBytesPerDay: 500_000_000,
    });
  });

  it('lists every problem at once, each with its path and a hint, as a ConfigError (exit 78)', () => {
    const text = 'thresholds:\n  data: { warning: 8O%, critical: 90% }\n  inodes: { warning: 95%, critical: 90% }\nlogs:\n  maxSize: 10XB\n  maxSise: 1GB\n  keep: 0\ncolour: red\n';
    let error: unknown;
    try {
      parseConfig(text, '/etc/docker-watchdog/config.yaml');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).exitCode).toBe(78);
    expect((error as ConfigError).message.split('\n')).toEqual([
      'The configuration /etc/docker-watchdog/config.yaml has 6 problems:',
      '  thresholds.data.warning: "8O%" is not a percentage; write e.g. 80%',
      '  thresholds.inodes: warning must be below critical',
      '  logs.maxSize: "10XB" is not a size; write e.g. 100MB',
      '  logs.keep: keep at least 1 archive',
      '  logs: "maxSise" is not a known setting',
      '  "colour" is not a known setting',
    ]);
  });

  it('writes, with config init, a commented file that parses to exactly the defaults', () => {
    expect(parseConfig(DEFAULT_CONFIG_TEXT, 'init')).toEqual(DEFAULT_CONFIG);
  });

  it('wants a unit on every duration', () => {
    expect(() => parseConfig('containers:\n  exited:\n    maxAge: "24"\n', 'x.yaml')).toThrow(/containers\.exited\.maxAge: "24" is not a duration; write e\.g\. 30m, 1h or 7d/);
    expect(parseConfig('containers:\n  exited:\n    maxAge: 36h\n', 'x.yaml').containers.maxAgeMs).toBe(36 * 3_600_000);
  });

  it('says when the file is not YAML', () => {
    expect(() => parseConfig('thresholds: [\n', 'x.yaml')).toThrow(/^The configuration x.yaml is not valid YAML/);
  });
});
