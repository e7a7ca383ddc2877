import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultConfig, parseConfig } from '../../src/config/schema.js';
import { CONFIG_TEMPLATE } from '../../src/config/template.js';
import { archiveDirConflict } from '../../src/core/archive-dir.js';
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
    expect(d.drift).toEqual({ allow: ['/tmp/**', '/run/**', '/var/run/**', '/var/tmp/**'], onSuspicious: 'hold', maxModeChecks: 1000, runningInterval: 3_600_000, runningBudget: 10_000, onSuspiciousRunning: 'alert' });
    expect(d.escalation).toEqual({ warning: { maxAge: 6 * 3_600_000 }, critical: { maxAge: 3_600_000 } });
    expect(d.usage.maxAge).toBe(3_600_000);
    expect(d.alerts).toEqual({ email: null, cooldown: 6 * 3_600_000, heartbeat: null });
    expect(d.watch).toEqual({ interval: 300_000, spaceInterval: 10_000, minRotateInterval: 30_000, horizon: 3_600_000 });
    expect(d.audit).toEqual({ enabled: true, severity: {}, groupFile: '/etc/group', passwdFile: '/etc/passwd', daemonConfig: null });
  });

  it('takes per-code severities for the audit and refuses other codes and levels (issue #13)', () => {
    expect(parseConfig('audit:\n  severity: { NO_MAC: info, HOST_ROOT_MOUNT: warning }\n', 'x.yaml').audit.severity).toEqual({ NO_MAC: 'info', HOST_ROOT_MOUNT: 'warning' });
    expect(() => parseConfig('audit:\n  severity: { DATA_SPACE_LOW: info, NO_MAC: low }\n  groupFile: group\n', 'x.yaml')).toThrow(
      [
        'The configuration x.yaml has 3 problems:',
        '  audit.severity.NO_MAC: Invalid option: expected one of "info"|"warning"|"critical"',
        '  audit.severity: "DATA_SPACE_LOW" is not a known setting',
        '  audit.groupFile: must be an absolute path',
      ].join('\n'),
    );
  });

  it('refuses daemon intervals that would make it spin (issue #11)', () => {
    const problems = (text: string) => {
      try {
        parseConfig(text, 'x.yaml');
        return [];
      } catch (error) {
        return (error as ConfigError).message.split('\n').slice(1).map((l) => l.trim());
      }
    };
    expect(problems('watch:\n  spaceInterval: 0s\n  minRotateInterval: 10ms\n  interval: 5s\n  horizon: 30s\n')).toEqual([
      'watch.interval: must be at least 10s',
      'watch.spaceInterval: must be at least 1s',
      'watch.minRotateInterval: must be at least 1s',
      'watch.horizon: must be at least 1m',
    ]);
    expect(parseConfig('watch:\n  minRotateInterval: 2s\n', 'x.yaml').watch.minRotateInterval).toBe(2_000);
  });

  it('reads drift.runningInterval (at least 1m) and drift.onSuspiciousRunning (issue #13)', () => {
    const config = parseConfig('drift:\n  runningInterval: 10m\n  onSuspiciousRunning: pause\n', 'x.yaml');
    expect(config.drift.runningInterval).toBe(600_000);
    expect(config.drift.onSuspiciousRunning).toBe('pause');
    expect(() => parseConfig('drift:\n  runningInterval: 30s\n', 'x.yaml')).toThrow(/drift\.runningInterval: must be at least 1m/);
    expect(() => parseConfig('drift:\n  onSuspiciousRunning: kill\n', 'x.yaml')).toThrow(/drift\.onSuspiciousRunning/);
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

  describe('refuses values a run could not use, naming the key (issue #9, defect 7)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wdt-config-'));
    const passwordFile = join(dir, 'smtp-password');
    writeFileSync(passwordFile, 'secret\n');
    const host = { env: { SMTP_PASSWORD: 'secret' }, sendsMail: true };
    const problemsOf = (text: string): string[] => {
      try {
        parseConfig(text, 'x.yaml', host);
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        return (error as ConfigError).message.split('\n').slice(1).map((l) => l.trim());
      }
      return [];
    };
    const email = (fields: string) => `alerts:\n  email: { host: mail.example.com, from: w@example.com, to: [ops@example.com], ${fields} }\n`;

    it.each([
      ['/etc/passwd', 'logs.archiveDir: "/etc/passwd" exists and is not a directory; name a directory'],
      ['/etc/passwd/archive', 'logs.archiveDir: "/etc/passwd/archive" cannot be a directory: /etc/passwd is not one; name a directory'],
      ['/', 'logs.archiveDir: "/" is the root directory; name a directory of its own, e.g. /var/lib/docker-watchdog/archive'],
      ['/var/lib/watchdog/../docker/containers', 'logs.archiveDir: "/var/lib/watchdog/../docker/containers" is not a normalized path; write "/var/lib/docker/containers"'],
      ['/srv/./archive/', 'logs.archiveDir: "/srv/./archive/" is not a normalized path; write "/srv/archive"'],
      ['/var/lib/docker/containers', "logs.archiveDir: \"/var/lib/docker/containers\" is inside /var/lib/docker, the engine's own directory; name a directory outside it, e.g. /var/lib/docker-watchdog/archive"],
      ['/var/lib/containerd', "logs.archiveDir: \"/var/lib/containerd\" is inside /var/lib/containerd, the engine's own directory; name a directory outside it, e.g. /var/lib/docker-watchdog/archive"],
    ])('logs.archiveDir %j', (archiveDir, problem) => {
      expect(problemsOf(`logs:\n  archiveDir: ${archiveDir}\n`)).toEqual([problem]);
    });

    it('takes an archive directory that does not exist yet, or a directory, outside the engine, and nothing else', () => {
      expect(problemsOf('logs:\n  archiveDir: /etc/hostname\n')).toEqual(['logs.archiveDir: "/etc/hostname" exists and is not a directory; name a directory']);
      expect(parseConfig(`logs:\n  archiveDir: ${dir}/new/archive\n`, 'x.yaml', host).logs.archiveDir).toBe(`${dir}/new/archive`);
      expect(parseConfig(`logs:\n  archiveDir: ${dir}\n`, 'x.yaml', host).logs.archiveDir).toBe(dir);
      expect(parseConfig('logs:\n  archiveDir: /var/lib/docker-watchdog/archive\n', 'x.yaml', host).logs.archiveDir).toBe('/var/lib/docker-watchdog/archive');
    });

    it('wants the password file and the password variable to be there', () => {
      expect(problemsOf(email(`passwordFile: ${dir}/missing`))).toEqual([`alerts.email.passwordFile: "${dir}/missing" cannot be read (ENOENT); write the password into that file, or fix the path`]);
      expect(problemsOf(email(`passwordFile: ${dir}`))).toEqual([`alerts.email.passwordFile: "${dir}" cannot be read (not a file); write the password into that file, or fix the path`]);
      expect(problemsOf(email('passwordEnv: WDT_UNSET_PASSWORD'))).toEqual(['alerts.email.passwordEnv: WDT_UNSET_PASSWORD is not set in the environment; set it where the watchdog runs (for systemd, EnvironmentFile= in the unit)']);
      expect(parseConfig(email(`passwordFile: ${passwordFile}`), 'x.yaml', host).alerts.email!.passwordFile).toBe(passwordFile);
      expect(parseConfig(email('passwordEnv: SMTP_PASSWORD'), 'x.yaml', host).alerts.email!.passwordEnv).toBe('SMTP_PASSWORD');
    });

    it.each([
      ['0.5', 'logs.maxSize: 0.5 is not a whole number of bytes; write e.g. 100MB'],
      ['"0.5"', 'logs.maxSize: "0.5" is not a whole number of bytes; write e.g. 100MB'],
      ['1.0005kB', 'logs.maxSize: "1.0005kB" is not a whole number of bytes; write e.g. 100MB'],
      ['1e400', 'logs.maxSize: Infinity is too large a size; write at most 9PB (9,007,199,254,740,991 bytes)'],
      ['9007199254740993', 'logs.maxSize: 9007199254740992 is too large a size; write at most 9PB (9,007,199,254,740,991 bytes)'],
      ['10PB', 'logs.maxSize: "10PB" is too large a size; write at most 9PB (9,007,199,254,740,991 bytes)'],
      ['.nan', 'logs.maxSize: NaN is not a size; write e.g. 100MB'],
      ['true', 'logs.maxSize: true is not a size; write e.g. 100MB'],
    ])('logs.maxSize: %s', (value, problem) => {
      expect(problemsOf(`logs:\n  maxSize: ${value}\n`)).toEqual([problem]);
    });

    it.each([
      ['1.5kB', 1_500],
      ['1.1kB', 1_100],
      ['9PB', 9_000_000_000_000_000],
      ['1000', 1_000],
    ])('takes the whole size %s, and not a byte less', (value, bytes) => {
      expect(parseConfig(`logs:\n  maxSize: ${value}\n`, 'x.yaml', host).logs.maxSize).toBe(bytes);
      // Half a byte less (9PB - 0.5 is no number a double can hold: 10.5 instead).
      const fraction = bytes > Number.MAX_SAFE_INTEGER / 2 ? 10.5 : bytes - 0.5;
      expect(problemsOf(`logs:\n  maxSize: ${fraction}\n`)).toEqual([`logs.maxSize: ${fraction} is not a whole number of bytes; write e.g. 100MB`]);
    });

    it.each([
      ['from: "w@example.com\\r\\nBcc: all@example.com"', 'alerts.email.from: "w@example.com\\r\\nBcc: all@example.com" holds a control character (a line break?); write it on one line'],
      ['from: "a@example.com, b@example.com"', 'alerts.email.from: "a@example.com, b@example.com" is not one mail address; write e.g. ops@example.com or "Ops <ops@example.com>"'],
      ['from: watchdog', 'alerts.email.from: "watchdog" is not one mail address; write e.g. ops@example.com or "Ops <ops@example.com>"'],
      ['to: [ops@example.com, "x@example.com\\nBcc: y@example.com"]', 'alerts.email.to.1: "x@example.com\\nBcc: y@example.com" holds a control character (a line break?); write it on one line'],
      ['to: ["ops@example.com; dev@example.com"]', 'alerts.email.to.0: "ops@example.com; dev@example.com" is not one mail address; write e.g. ops@example.com or "Ops <ops@example.com>"'],
      ['subjectPrefix: "[wd]\\r\\nX-Evil: 1"', 'alerts.email.subjectPrefix: "[wd]\\r\\nX-Evil: 1" holds a control character (a line break?); write it on one line'],
      ['host: "mail.example.com\\n"', 'alerts.email.host: "mail.example.com\\n" holds a control character (a line break?); write it on one line'],
      ['user: "watch\\u0000dog"', 'alerts.email.user: "watch\\u0000dog" holds a control character (a line break?); write it on one line'],
    ])('alerts.email %s', (field, problem) => {
      const fields = { host: 'host: mail.example.com', from: 'from: w@example.com', to: 'to: [ops@example.com]', [field.split(':')[0]!]: field };
      const text = `alerts:\n  email:\n${Object.values(fields).map((f) => `    ${f}\n`).join('')}`;
      expect(problemsOf(text)).toEqual([problem]);
    });

    it('takes one address with a display name, but not two', () => {
      expect(problemsOf(email('').replace('from: w@example.com', 'from: "Watchdog <w@example.com>, Other <o@example.com>"'))).toEqual([
        'alerts.email.from: "Watchdog <w@example.com>, Other <o@example.com>" is not one mail address; write e.g. ops@example.com or "Ops <ops@example.com>"',
      ]);
      const config = parseConfig(email('').replace('from: w@example.com', 'from: "Watchdog <w@example.com>"').replace('to: [ops@example.com]', 'to: ["\\"Ops, night shift\\" <ops@example.com>", dev@example.com]'), 'x.yaml', host);
      expect(config.alerts.email!.from).toBe('Watchdog <w@example.com>');
      expect(config.alerts.email!.to).toEqual(['"Ops, night shift" <ops@example.com>', 'dev@example.com']);
    });

    it('lists every problem of a bad file at once, each with its key path', () => {
      const text = [
        'logs:',
        '  maxSize: 0.5',
        '  archiveBudget: 1e400',
        '  archiveDir: /etc/passwd',
        'alerts:',
        '  email:',
        '    host: mail.example.com',
        '    passwordFile: /nonexistent/smtp-password',
        '    passwordEnv: WDT_UNSET_PASSWORD',
        '    from: "w@example.com\\r\\nBcc: all@example.com"',
        '    to: [ops]',
        '',
      ].join('\n');
      expect(problemsOf(text).map((p) => p.split(':')[0])).toEqual([
        'logs.maxSize',
        'logs.archiveDir',
        'logs.archiveBudget',
        'alerts.email.passwordFile',
        'alerts.email.passwordEnv',
        'alerts.email.from',
        'alerts.email.to.0',
      ]);
    });
  });
});

describe('archiveDirConflict (against the DockerRootDir the engine reports)', () => {
  it.each([
    ['/data/docker/containers', '/data/docker', true],
    ['/data/docker', '/data/docker', true],
    ['/data/docker', '/data/docker/', true],
    ['/data/docker-archive', '/data/docker', false],
    ['/data', '/data/docker', false],
    ['/var/lib/docker-watchdog/archive', '/var/lib/docker', false],
  ])('%j inside %j: %s', (archiveDir, root, conflict) => {
    const found = archiveDirConflict(archiveDir, root, "this engine's DockerRootDir");
    expect(found).toBe(conflict ? `is inside ${root.replace(/\/$/, '')}, this engine's DockerRootDir; name a directory outside it, e.g. /var/lib/docker-watchdog/archive` : null);
  });
});
