import { describe, expect, it } from 'vitest';
import { defaultConfig, parseConfig } from '../../src/config/schema.js';
import { CONFIG_TEMPLATE } from '../../src/config/template.js';
import { ConfigError } from '../../src/errors.js';

describe('parseConfig', () => {
  it('gives the defaults for an empty file', () => {
    expect(parseConfig('', 'x.yaml')).toEqual(defaultConfig());
  });

  it('has the defaults an operator reads in the README', () => {
    const d = defaultConfig();
    expect(d.thresholds).toEqual({ data: { warning: 0.8, critical: 0.9 }, metadata: { warning: 0.8, critical: 0.9 }, inodes: { warning: 0.8, critical: 0.9 } });
    expect(d.logs).toEqual({ maxSize: 100_000_000, keep: 5, archiveDir: '/var/lib/docker-watchdog/archive', archiveBudget: 5_000_000_000, maxGrowthPerDay: 1_000_000_000 });
    expect(d.containers.exited).toEqual({ maxAge: 24 * 3_600_000, keepLast: 1, protectLabel: 'watchdog.keep', protect: [], removeVolumes: false });
    expect(d.drift).toEqual({ allow: ['/tmp/**', '/run/**', '/var/run/**', '/var/tmp/**'], onSuspicious: 'hold' });
    expect(d.escalation).toEqual({ warning: { maxAge: 6 * 3_600_000 }, critical: { maxAge: 3_600_000 } });
    expect(d.usage.maxAge).toBe(3_600_000);
    expect(d.alerts).toEqual({ email: null, cooldown: 6 * 3_600_000, heartbeat: null });
  });

  it('reads thresholds as percentages and sizes as decimal bytes', () => {
    const config = parseConfig('thresholds:\n  data: { warning: 70%, critical: 85% }\n  inodes: { critical: 95 }\nlogs:\n  maxGrowthPerDay: 500MB\nusage:\n  maxAge: 10m\n', 'x.yaml');
    expect(config.usage.maxAge).toBe(600_000);
    expect(config.thresholds).toEqual({
      data: { warning: 0.7, critical: 0.85 },
      metadata: defaultConfig().thresholds.metadata,
      inodes: { warning: 0.8, critical: 0.95 },
    });
    expect(config.logs.maxGrowthPerDay).toBe(500_000_000);
  });

  it('fills in the email settings an operator may leave out', () => {
    const config = parseConfig('alerts:\n  email: { host: mail.example.com, from: w@example.com, to: [ops@example.com], secure: true }\n', 'x.yaml');
    expect(config.alerts.email).toEqual({
      host: 'mail.example.com',
      port: 465,
      secure: true,
      requireTls: false,
      trustSelfSigned: false,
      user: null,
      passwordFile: null,
      passwordEnv: null,
      from: 'w@example.com',
      to: ['ops@example.com'],
      subjectPrefix: '[docker-watchdog]',
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
    expect((error as ConfigError).failure).toBe('config');
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
    expect(parseConfig(CONFIG_TEMPLATE, 'init')).toEqual(defaultConfig());
  });

  it('wants a unit on every duration', () => {
    expect(() => parseConfig('containers:\n  exited:\n    maxAge: "24"\n', 'x.yaml')).toThrow(/containers\.exited\.maxAge: "24" is not a duration; write e\.g\. 30m, 1h or 7d/);
    expect(parseConfig('containers:\n  exited:\n    maxAge: 36h\n', 'x.yaml').containers.exited.maxAge).toBe(36 * 3_600_000);
  });

  it('says when the file is not YAML', () => {
    expect(() => parseConfig('thresholds: [\n', 'x.yaml')).toThrow(/^The configuration x.yaml is not valid YAML/);
  });
});
