// The shipped Prometheus alert rules (prometheus/docker-watchdog.rules.yml, issue #12):
// promtool accepts them, their own unit tests (prometheus/docker-watchdog.rules.test.yml)
// pass, every alert is complete and tested, and those unit tests fail when a threshold
// or a label matching is changed, so they do test something. Needs promtool (Debian's `prometheus` package):
// without it these tests fail, they do not skip.

import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RULES = 'prometheus/docker-watchdog.rules.yml';
const RULE_TESTS = 'prometheus/docker-watchdog.rules.test.yml';
const PROMTOOL_TIMEOUT = 60_000;
// promtool test rules takes a few seconds (one throwaway TSDB per test group).
const TEST_TIMEOUT = 120_000;

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface RuleFile {
  groups: { name: string; rules: Rule[] }[];
}
interface RuleTests {
  rule_files: string[];
  tests: { alert_rule_test?: { eval_time: string; alertname: string; exp_alerts?: unknown[] }[] }[];
}

/** promtool's exit status (null when it was killed) and all it printed. */
function promtool(args: string[], cwd: string): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    execFile('promtool', args, { cwd, encoding: 'utf8', timeout: PROMTOOL_TIMEOUT }, (error, stdout, stderr) => {
      if (error?.code === 'ENOENT') {
        reject(new Error("promtool is not installed: install Debian's `prometheus` package (apt-get install prometheus), which provides it."));
        return;
      }
      if (error && typeof error.code !== 'number' && !error.killed) {
        reject(error);
        return;
      }
      const how = error?.killed ? `killed after ${PROMTOOL_TIMEOUT / 1000} s\n` : '';
      resolve({ status: error ? (typeof error.code === 'number' ? error.code : null) : 0, output: `$ promtool ${args.join(' ')}\n${how}${stdout}${stderr}` });
    });
  });
}

const rulesText = () => readFileSync(join(ROOT, RULES), 'utf8');
const alerts = (file: RuleFile) => file.groups.flatMap((group) => group.rules).filter((rule): rule is Rule & { alert: string } => rule.alert !== undefined);

const scratch = mkdtempSync(join(tmpdir(), 'docker-watchdog-rules-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A copy of the rules, changed by `change`, in a folder of its own beside a copy of
 *  their unit tests: those of `alert` only (null: all), which is quicker (promtool spends
 *  about a third of a second on each test group). Both are written by the yaml package,
 *  without the comments. */
function copyWith(name: string, alert: string | null, change: (file: RuleFile) => void): string {
  const dir = join(scratch, name);
  mkdirSync(dir, { recursive: true });
  const rules = parse(rulesText()) as RuleFile;
  change(rules);
  writeFileSync(join(dir, 'docker-watchdog.rules.yml'), stringify(rules));
  const tests = parse(readFileSync(join(ROOT, RULE_TESTS), 'utf8')) as RuleTests;
  if (alert !== null) tests.tests = tests.tests.filter((test) => (test.alert_rule_test ?? []).some((c) => c.alertname === alert));
  expect(tests.tests.length, `unit tests of ${alert}`).toBeGreaterThan(0);
  writeFileSync(join(dir, 'docker-watchdog.rules.test.yml'), stringify(tests));
  return dir;
}

/** Changes the expression of the one alert rule named (and of that severity) by a plain
 *  replace, which must change it. */
function mutate(alert: string, severity: string, from: string | RegExp, to: string) {
  return (file: RuleFile) => {
    const matching = alerts(file).filter((rule) => rule.alert === alert && rule.labels?.severity === severity);
    expect(matching, `${alert} (${severity})`).toHaveLength(1);
    const rule = matching[0]!;
    const before = rule.expr;
    rule.expr = before.replace(from, to);
    expect(rule.expr, `the mutation of ${alert} changes its expression`).not.toBe(before);
  };
}

describe('prometheus/docker-watchdog.rules.yml', () => {
  it('passes promtool check rules', async () => {
    const { status, output } = await promtool(['check', 'rules', RULES], ROOT);
    expect(status, output).toBe(0);
  });

  it('passes its unit tests (promtool test rules)', async () => {
    const { status, output } = await promtool(['test', 'rules', RULE_TESTS], ROOT);
    expect(status, output).toBe(0);
  }, TEST_TIMEOUT);

  it('gives each alert a severity, a summary, a description and a runbook, naming the host (and the container)', () => {
    const file = parse(rulesText()) as RuleFile;
    expect(file.groups.map((group) => group.name)).toEqual(['docker-watchdog']);
    const list = alerts(file);
    expect(list.length).toBeGreaterThanOrEqual(14);
    for (const rule of list) {
      const where = `${rule.alert} (${rule.labels?.severity})`;
      expect(rule.alert, where).toMatch(/^DockerWatchdog[A-Z][A-Za-z]+$/);
      expect(['warning', 'critical'], where).toContain(rule.labels?.severity);
      const { summary, description, runbook } = rule.annotations ?? {};
      expect(summary, where).toBeTruthy();
      expect(description, where).toBeTruthy();
      expect(runbook, where).toBe(`README.md#runbook-${rule.alert.toLowerCase()}`);
      expect(summary, where).toContain('{{ $labels.instance }}');
      expect(description, where).toContain('{{ $labels.instance }}');
      // The series of these alerts carry a container label: the alert names it.
      if (/docker_watchdog_log_(runaway_bytes_per_second|bytes)\b/.test(rule.expr)) {
        expect(summary, where).toContain('{{ $labels.container }}');
        expect(description, where).toContain('{{ $labels.container }}');
      }
    }
  });

  it('has unit tests for each alert: one where it fires and one where it does not', () => {
    const names = new Set(alerts(parse(rulesText()) as RuleFile).map((rule) => rule.alert));
    const tests = parse(readFileSync(join(ROOT, RULE_TESTS), 'utf8')) as RuleTests;
    expect(tests.rule_files).toEqual(['docker-watchdog.rules.yml']);
    const cases = tests.tests.flatMap((test) => test.alert_rule_test ?? []);
    for (const name of names) {
      const mine = cases.filter((c) => c.alertname === name);
      expect(mine.some((c) => (c.exp_alerts ?? []).length > 0), `${name} fires in a test`).toBe(true);
      expect(mine.some((c) => (c.exp_alerts ?? []).length === 0), `${name} is silent in a test`).toBe(true);
    }
    expect(new Set(cases.map((c) => c.alertname))).toEqual(names);
  });

  // The end-to-end test sets every `for` to 0s with a plain replace on the text.
  it('keeps each `for` on a line of its own, `    for: <duration>`, which a plain replace can set to 0s', async () => {
    const text = rulesText();
    const lines = text.split('\n').filter((line) => line.includes('for:'));
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line).toMatch(/^ {4}for: \d+[smh]$/);
    const zero = text.replace(/^( {4}for: )\d+[smh]$/gm, '$10s');
    const dir = join(scratch, 'for-0s');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'docker-watchdog.rules.yml'), zero);
    const { status, output } = await promtool(['check', 'rules', 'docker-watchdog.rules.yml'], dir);
    expect(status, output).toBe(0);
    const file = parse(zero) as RuleFile;
    for (const rule of alerts(file)) if (rule.for !== undefined) expect(rule.for, rule.alert).toBe('0s');
  });

  // A mutant of the rules that promtool still accepts must fail the unit tests: they
  // pin the thresholds and the label matching, not only the syntax.
  const mutants: [string, string, string, string | RegExp, string][] = [
    ['critical space threshold 90 % -> 95 %', 'DockerWatchdogSpaceLow', 'critical', '> 0.90', '> 0.95'],
    ['critical space threshold 90 % -> 85 %', 'DockerWatchdogSpaceLow', 'critical', '> 0.90', '> 0.85'],
    ['warning space threshold 80 % -> 75 %', 'DockerWatchdogSpaceLow', 'warning', '> 0.80', '> 0.75'],
    ['critical inodes threshold 90 % -> 95 %', 'DockerWatchdogInodesLow', 'critical', '> 0.90', '> 0.95'],
    ['inodes: no capacity > 0 guard', 'DockerWatchdogInodesLow', 'warning', /\s*and docker_watchdog_inodes_capacity > 0/, ''],
    ['thin pool: at the minimum counts as below', 'DockerWatchdogThinPoolBelowMinimumFree', 'critical', '< ignoring(space)', '<= ignoring(space)'],
    ['forecast horizon 4h -> 1h', 'DockerWatchdogSpaceFullSoon', 'warning', '< 4 * 3600', '< 1 * 3600'],
    ['space forecast: the watchdog\'s only', 'DockerWatchdogSpaceFullSoon', 'warning', /\s*or[\s\S]*$/, ''],
    ['inodes forecast: the watchdog\'s only', 'DockerWatchdogInodesFullSoon', 'warning', /\s*or[\s\S]*$/, ''],
    ['runaway: a 0 rate fires', 'DockerWatchdogRunawayLog', 'critical', '> 0', '>= 0'],
    ['space runaway: any finding code', 'DockerWatchdogSpaceRunaway', 'critical', '{code="SPACE_RUNAWAY"}', ''],
    ['no full pass after 20 -> 30 minutes', 'DockerWatchdogNoFullPass', 'warning', '20 * 60', '30 * 60'],
    ['unbounded log threshold 100 MiB -> 200 MiB', 'DockerWatchdogUnboundedLog', 'warning', '100 * 1024 * 1024', '200 * 1024 * 1024'],
    ['unbounded log: bounded ones too', 'DockerWatchdogUnboundedLog', 'warning', '{bounded="no"}', ''],
    ['exited footprint threshold 10 % -> 20 %', 'DockerWatchdogExitedContainersFootprint', 'warning', '> 0.10', '> 0.20'],
    ['drift: no sum over the finding severities', 'DockerWatchdogSuspiciousDrift', 'critical', /sum without\(severity\) \((.*)\)/, '$1'],
    ['root exposure: warnings page too', 'DockerWatchdogRootExposure', 'critical', ',severity="critical"', ''],
    ['root exposure: not for a mount of /', 'DockerWatchdogRootExposure', 'critical', 'HOST_ROOT_MOUNT|', ''],
    ['root exposure: not for a running container\'s drift', 'DockerWatchdogRootExposure', 'critical', '|RUNNING_DRIFT', ''],
    ['stale after 15 -> 20 minutes', 'DockerWatchdogStale', 'warning', '15 * 60', '20 * 60'],
    ['down: any job', 'DockerWatchdogDown', 'warning', '{job="docker-watchdog"}', ''],
    ['collector: fails when 1', 'DockerWatchdogCollectorFailed', 'warning', '== 0', '== 1'],
    ['failed actions: increase() only', 'DockerWatchdogActionFailed', 'warning', /\s*or[\s\S]*$/, ''],
    ['failed actions: new series without the host seen an hour ago', 'DockerWatchdogActionFailed', 'warning', /\s*and on\(instance, job\)[\s\S]*$/, ''],
    ['undelivered alerts: 0 fires', 'DockerWatchdogAlertsUndelivered', 'warning', '> 0', '>= 0'],
  ];

  // The control: copied unchanged (rewritten by the yaml package), the tests pass.
  it('passes its unit tests as copied for the mutants, unchanged', async () => {
    const dir = copyWith('unchanged', null, () => {});
    const test = await promtool(['test', 'rules', 'docker-watchdog.rules.test.yml'], dir);
    expect(test.status, test.output).toBe(0);
  }, TEST_TIMEOUT);

  // Concurrently: each run of promtool waits on disk more than it computes.
  it.for(mutants)('fails its unit tests when mutated: %s', { concurrent: true, timeout: TEST_TIMEOUT }, async ([name, alert, severity, from, to], { expect }) => {
    const dir = copyWith(name.replace(/[^a-z0-9]+/gi, '-'), alert, mutate(alert, severity, from, to));
    const check = await promtool(['check', 'rules', 'docker-watchdog.rules.yml'], dir);
    expect(check.status, check.output).toBe(0);
    const test = await promtool(['test', 'rules', 'docker-watchdog.rules.test.yml'], dir);
    expect(test.status, `the unit tests pass with the mutant (${name}):\n${test.output}`).not.toBe(0);
    expect(test.output).toContain('FAILED');
  });

  it('has a mutant for each alert', () => {
    const names = new Set(alerts(parse(rulesText()) as RuleFile).map((rule) => rule.alert));
    expect(new Set(mutants.map(([, alert]) => alert))).toEqual(names);
  });
});
