// Many hosts (issue #12): `watchdog watch --listen` scraped by a real Prometheus that
// evaluates the shipped rules (prometheus/docker-watchdog.rules.yml) and alerts a real
// Alertmanager, which notifies a webhook here, all on 127.0.0.1 and all from the shipped
// example configurations (prometheus/prometheus.example.yml, alertmanager.example.yml).
// A disk really filled on the test engine's data-root (fallocate, > 90 % used) must reach
// the webhook as DockerWatchdogSpaceLow firing (severity critical, space data, instance
// the scrape target), and freeing it as the same alert resolved. The two delays are
// printed, not asserted (only the generous timeouts bound them): machines are noisy.
// Also: the daemon's /metrics passes `promtool check metrics` without a word.

import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isMap, isSeq, parseDocument, type Document } from 'yaml';
import { startDaemon, stopAllDaemons, type Daemon } from '../helpers/daemon.js';
import { runContainer, startEngine, type TestEngine } from '../helpers/engine.js';
import {
  describeNotification,
  AMTOOL,
  getJson,
  PROMTOOL,
  promtoolCheckMetrics,
  runTool,
  startAlertmanager,
  startPrometheus,
  startWebhookReceiver,
  stopAllServers,
  type Notification,
  type ServerProcess,
  type WebhookReceiver,
} from '../helpers/prometheus.js';
import { AUDIT_OFF } from '../helpers/cli.js';

const run = promisify(execFile);

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const RULES = join(REPO, 'prometheus/docker-watchdog.rules.yml');
const PROMETHEUS_EXAMPLE = join(REPO, 'prometheus/prometheus.example.yml');
const ALERTMANAGER_EXAMPLE = join(REPO, 'prometheus/alertmanager.example.yml');
const ALERT = 'DockerWatchdogSpaceLow';
const NO_RULES = 'prometheus/docker-watchdog.rules.yml is missing: this test evaluates the shipped alerting rules (issue #12) and has none to load';

// An engine of its own, small (256 MB), so that filling its disk disturbs no other test.
let engine: TestEngine;
let dataRoot: string;
let ballast: string;
let work: string;
let hook: WebhookReceiver;
let daemon: Daemon;
/** The daemon's --listen address, and so the scrape target and the alerts' instance. */
let target: string;
let prometheus: ServerProcess | null = null;
let alertmanager: ServerProcess | null = null;

beforeAll(async () => {
  engine = await startEngine('fleet', 256);
  // The engine's DockerRootDir is the loop-mounted ext4 (test-engine.sh: --data-root DIR/root).
  dataRoot = `${engine.dir}/root`;
  ballast = `${dataRoot}/fleet-ballast`;
  work = mkdtempSync(join(tmpdir(), 'wdt-fleet-test-'));
  hook = await startWebhookReceiver();
  // Something for the log and exited-container series to be about (--network none, as
  // every test container): one running with a log, one exited.
  await runContainer(engine.docker, { name: 'fleet-logger', cmd: ['sh', '-c', 'seq 1 2000; exec sleep 3600'], detach: true });
  await runContainer(engine.docker, { name: 'fleet-exited', cmd: ['sh', '-c', 'echo done'] });

  const config = `${engine.dir}/fleet.yaml`;
  // The space figures every second (the default is 10 s): the delays measured below are
  // the chain's, not the daemon's tick.
  writeFileSync(config, `${AUDIT_OFF}logs:\n  archiveDir: ${engine.dir}/fleet-archive\nwatch:\n  spaceInterval: 1s\n`);
  // Port 0: the kernel picks a free one, and the `listening` line says which (no race
  // with another test for a port found free a moment before).
  daemon = startDaemon(['watch', '--listen', '127.0.0.1:0', '--log-format', 'json', '-H', engine.host, '-c', config, '--state', `${engine.dir}/fleet-state.db`]);
  target = (await daemon.waitFor('`listening` line', (l) => l.event === 'listening', 30_000)).address;
  await daemon.waitFor('`started` line', (l) => l.event === 'started', 30_000);
});

afterAll(async () => {
  await stopAllServers();
  await stopAllDaemons();
  await hook?.close();
  rmSync(ballast, { force: true });
  if (work) rmSync(work, { recursive: true, force: true });
  await engine?.stop();
});

/** GET /metrics of the daemon, once its data space is in it (the first space tick). */
async function scrape(): Promise<{ status: number; contentType: string; body: string }> {
  let last = '';
  for (let i = 0; i < 100; i++) {
    try {
      const response = await fetch(`http://${target}/metrics`, { signal: AbortSignal.timeout(5000) });
      const body = await response.text();
      if (response.status === 200 && /^docker_watchdog_space_used_bytes\{space="data"\} /m.test(body)) return { status: response.status, contentType: response.headers.get('content-type') ?? '', body };
      last = `HTTP ${response.status}, ${body.length} bytes${response.status === 200 ? ' without docker_watchdog_space_used_bytes{space="data"}' : `: ${body.slice(0, 300)}`}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await sleep(200);
  }
  throw new Error(`no usable GET http://${target}/metrics within 20 s (last: ${last})\n${daemon.transcript()}`);
}

// --- The example configurations, made to run here ---------------------------------------

/** A change the test makes to an example, for the log and the failure messages. */
type Change = string;

/** Sets PATH in DOC to VALUE, and fails if the example has nothing at PATH: the test
 *  changes the shipped values, it does not add its own. */
function replace(doc: Document, path: Array<string | number>, value: unknown, changes: Change[], file: string): void {
  const before = doc.getIn(path);
  if (before === undefined) throw new Error(`${file} has no ${path.join('.')}: the test replaces it (see fleet.test.ts), so the example must have it`);
  doc.setIn(path, value);
  changes.push(`${path.join('.')}: ${JSON.stringify(before)} -> ${JSON.stringify(value)}`);
}

const mapsOf = (doc: Document, path: Array<string | number>): number[] => {
  const node = doc.getIn(path, true);
  return isSeq(node) ? node.items.map((_, i) => i) : [];
};

/**
 * prometheus.example.yml as run here. What changes, and nothing else:
 *  - global.scrape_interval and global.evaluation_interval: 15s -> 1s;
 *  - alerting.alertmanagers[*].static_configs[*].targets: [alertmanager:9093] -> [the
 *    Alertmanager started here];
 *  - the targets of job docker-watchdog: [host-a:19323, ...] -> [the daemon's --listen].
 * rule_files stays as shipped (docker-watchdog.rules.yml, relative to the configuration:
 * the test's copy of the rules is written beside it). Any other job with targets fails the
 * test: it would scrape hosts that are not here.
 */
function prometheusConfig(alertmanagerAddress: string, changes: Change[]): string {
  const file = 'prometheus/prometheus.example.yml';
  const doc = parseDocument(readFileSync(PROMETHEUS_EXAMPLE, 'utf8'));
  if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]!.message}`);
  expect(doc.toJS().rule_files, `${file}: rule_files`).toEqual(['docker-watchdog.rules.yml']);
  replace(doc, ['global', 'scrape_interval'], '1s', changes, file);
  replace(doc, ['global', 'evaluation_interval'], '1s', changes, file);
  const managers = mapsOf(doc, ['alerting', 'alertmanagers']);
  if (managers.length === 0) throw new Error(`${file} has no alerting.alertmanagers`);
  for (const m of managers) for (const s of mapsOf(doc, ['alerting', 'alertmanagers', m, 'static_configs'])) replace(doc, ['alerting', 'alertmanagers', m, 'static_configs', s, 'targets'], [alertmanagerAddress], changes, file);
  const jobs = mapsOf(doc, ['scrape_configs']);
  const names = jobs.map((j) => String(doc.getIn(['scrape_configs', j, 'job_name'])));
  if (!names.includes('docker-watchdog')) throw new Error(`${file} has no scrape job named docker-watchdog (it has ${names.join(', ') || 'none'})`);
  for (const j of jobs) {
    if (names[j] !== 'docker-watchdog') throw new Error(`${file} has a scrape job ${names[j]} besides docker-watchdog: the test would scrape its hosts; teach fleet.test.ts what to do with it`);
    for (const s of mapsOf(doc, ['scrape_configs', j, 'static_configs'])) replace(doc, ['scrape_configs', j, 'static_configs', s, 'targets'], [target], changes, file);
  }
  return String(doc);
}

/**
 * alertmanager.example.yml as run here. What changes, and nothing else:
 *  - group_wait and group_interval of every route that sets them (30s/5m at the root,
 *    10s/1m for severity=critical) -> 1s; repeat_interval stays;
 *  - each webhook URL: http://alert-receiver.example.internal:5001/PATH ->
 *    http://127.0.0.1:RECEIVER/PATH (the path kept: it tells which receiver was used).
 */
function alertmanagerConfig(changes: Change[]): string {
  const file = 'prometheus/alertmanager.example.yml';
  const doc = parseDocument(readFileSync(ALERTMANAGER_EXAMPLE, 'utf8'));
  if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]!.message}`);
  const routes = (path: Array<string | number>) => {
    for (const key of ['group_wait', 'group_interval']) if (doc.hasIn([...path, key])) replace(doc, [...path, key], '1s', changes, file);
    for (const r of mapsOf(doc, [...path, 'routes'])) routes([...path, 'routes', r]);
  };
  if (!isMap(doc.getIn(['route'], true))) throw new Error(`${file} has no route`);
  routes(['route']);
  let urls = 0;
  for (const r of mapsOf(doc, ['receivers'])) {
    for (const w of mapsOf(doc, ['receivers', r, 'webhook_configs'])) {
      const url = new URL(String(doc.getIn(['receivers', r, 'webhook_configs', w, 'url'])));
      replace(doc, ['receivers', r, 'webhook_configs', w, 'url'], `${hook.url}${url.pathname}`, changes, file);
      urls++;
    }
  }
  if (urls === 0) throw new Error(`${file} has no webhook receiver`);
  return String(doc);
}

/**
 * The shipped rules as run here: every `for:` (and `keep_firing_for:`) -> 0s, and a
 * group's own `interval:`, if it has one, -> 1s. Expressions, labels and annotations as
 * shipped.
 */
function rulesCopy(changes: Change[]): string {
  const file = 'prometheus/docker-watchdog.rules.yml';
  if (!existsSync(RULES)) throw new Error(NO_RULES);
  const doc = parseDocument(readFileSync(RULES, 'utf8'));
  if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]!.message}`);
  const groups = mapsOf(doc, ['groups']);
  if (groups.length === 0) throw new Error(`${file} has no groups`);
  for (const g of groups) {
    if (doc.hasIn(['groups', g, 'interval'])) replace(doc, ['groups', g, 'interval'], '1s', changes, file);
    for (const r of mapsOf(doc, ['groups', g, 'rules'])) for (const key of ['for', 'keep_firing_for']) if (doc.hasIn(['groups', g, 'rules', r, key])) replace(doc, ['groups', g, 'rules', r, key], '0s', changes, file);
  }
  return String(doc);
}

// --- Disk pressure ---------------------------------------------------------------------

/** used / (used + available) of the data-root's filesystem, as the rules compute it. */
function usedRatio(): { used: number; available: number; ratio: number } {
  const s = statfsSync(dataRoot);
  const used = (s.blocks - s.bfree) * s.bsize;
  const available = s.bavail * s.bsize;
  return { used, available, ratio: used / (used + available) };
}

/** A file that takes the data-root's filesystem to about 95 % used (fallocate: blocks
 *  reserved at once, nothing written). */
async function fillTo95(): Promise<number> {
  const { used, available } = usedRatio();
  const bytes = Math.ceil((0.95 * (used + available) - used) / (1 << 20)) * (1 << 20);
  await run('fallocate', ['-l', String(bytes), ballast]);
  return bytes;
}

describe('many hosts: the daemon scraped by Prometheus, alerting through Alertmanager', () => {
  it("serves /metrics that promtool's lint passes without a word", async () => {
    const { status, contentType, body } = await scrape();
    expect(status).toBe(200);
    expect(contentType).toMatch(/^text\/plain/);
    expect(body).toMatch(/^docker_watchdog_log_bytes\{.*container="fleet-logger"/m);
    const lint = await promtoolCheckMetrics(body);
    expect(lint, `promtool check metrics on the daemon's exposition:\n${body}`).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it('ships example configurations that promtool and amtool accept, routing critical and warning apart', async () => {
    if (!existsSync(RULES)) throw new Error(NO_RULES);
    // promtool reads the rule file named by rule_files (beside the example) as well.
    const prom = await runTool(PROMTOOL, 'prometheus', ['check', 'config', PROMETHEUS_EXAMPLE]);
    expect(prom.code, `promtool check config:\n${prom.stdout}${prom.stderr}`).toBe(0);
    const am = await runTool(AMTOOL, 'prometheus-alertmanager', ['check-config', ALERTMANAGER_EXAMPLE]);
    expect(am.code, `amtool check-config:\n${am.stdout}${am.stderr}`).toBe(0);
    for (const [severity, receiver] of [['critical', 'oncall-webhook'], ['warning', 'ops-webhook']] as const) {
      const route = await runTool(AMTOOL, 'prometheus-alertmanager', ['config', 'routes', 'test', `--config.file=${ALERTMANAGER_EXAMPLE}`, `alertname=${ALERT}`, `severity=${severity}`, 'instance=host-a:19323', 'space=data']);
      expect({ code: route.code, receiver: route.stdout.trim() }, route.stderr).toEqual({ code: 0, receiver });
    }
  });

  it('a data space over 90 % reaches the webhook as DockerWatchdogSpaceLow firing, and freeing it as resolved', { timeout: 240_000 }, async () => {
    const changes: Change[] = [];
    // The rules first (the test fails at once without them), beside Prometheus's
    // configuration; Alertmanager before Prometheus, whose configuration names its address.
    writeFileSync(join(work, 'docker-watchdog.rules.yml'), rulesCopy(changes));
    writeFileSync(join(work, 'alertmanager.yml'), alertmanagerConfig(changes));
    alertmanager = await startAlertmanager(join(work, 'alertmanager.yml'));
    writeFileSync(join(work, 'prometheus.yml'), prometheusConfig(alertmanager.address, changes));
    prometheus = await startPrometheus(join(work, 'prometheus.yml'));
    console.log(`fleet: the example configurations and rules as run here (${work}):\n  ${changes.join('\n  ')}`);
    const prom = prometheus;
    const am = alertmanager;

    const explain = async (): Promise<string> => {
      const part = async (what: string, f: () => Promise<unknown>) => {
        try {
          return `${what}: ${JSON.stringify(await f()).slice(0, 3000)}`;
        } catch (error) {
          return `${what}: (${(error as Error).message})`;
        }
      };
      return [
        `disk: ${JSON.stringify(usedRatio())}`,
        await part('Prometheus targets', async () => (await getJson(prom, '/api/v1/targets')).data.activeTargets.map((t: any) => ({ scrapeUrl: t.scrapeUrl, health: t.health, lastError: t.lastError }))),
        await part('Prometheus alerts', async () => (await getJson(prom, '/api/v1/alerts')).data.alerts),
        await part('Prometheus notifier', async () => (await getJson(prom, '/api/v1/alertmanagers')).data),
        await part('Alertmanager alerts', async () => getJson(am, '/api/v2/alerts')),
        `Prometheus stderr: ${prom.stderr().trim().slice(-2000) || '(empty)'}`,
        `Alertmanager stderr: ${am.stderr().trim().slice(-2000) || '(empty)'}`,
        `webhook:\n${hook.summary()}`,
        daemon.transcript(),
      ].join('\n');
    };
    const until = async <T>(what: string, f: () => Promise<T | null | undefined | false>, timeoutMs: number): Promise<T> => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const value = await f().catch(() => null);
        if (value) return value;
        if (Date.now() > deadline) throw new Error(`${what} not within ${timeoutMs} ms\n${await explain()}`);
        await sleep(250);
      }
    };
    const withContext = <T>(p: Promise<T>) => p.catch(async (error: Error) => Promise.reject(new Error(`${error.message}\n${await explain()}`)));

    // The shipped rule is loaded, the daemon is scraped, and nothing fires yet.
    await until('the rule DockerWatchdogSpaceLow loaded by Prometheus', async () => (await getJson(prom, '/api/v1/rules')).data.groups.some((g: any) => g.rules.some((r: any) => r.name === ALERT)), 30_000);
    await until(`a sample of docker_watchdog_space_used_bytes{space="data",instance="${target}"} in Prometheus`, async () => {
      const answer = await getJson(prom, `/api/v1/query?query=${encodeURIComponent(`docker_watchdog_space_used_bytes{space="data",instance="${target}",job="docker-watchdog"}`)}`);
      return answer.data.result.length === 1;
    }, 30_000);
    await until('Prometheus sending to the Alertmanager', async () => (await getJson(prom, '/api/v1/alertmanagers')).data.activeAlertmanagers.length === 1, 30_000);
    const before = usedRatio();
    expect(before.ratio, 'the data space of a fresh engine is well under 90 % used').toBeLessThan(0.5);
    // Evaluations before the pressure: the rule really ran and did not fire.
    await sleep(2000);
    expect(hook.received.filter((n) => n.payload.alerts.some((a) => a.labels.alertname === ALERT && a.labels.instance === target && a.labels.space === 'data')), hook.summary()).toEqual([]);

    const isOurs = (status: 'firing' | 'resolved') => (n: Notification) =>
      n.payload.alerts.some((a) => a.status === status && a.labels.alertname === ALERT && a.labels.severity === 'critical' && a.labels.space === 'data' && a.labels.instance === target);
    const ours = (n: Notification, status: 'firing' | 'resolved') => n.payload.alerts.find((a) => a.status === status && a.labels.alertname === ALERT && a.labels.severity === 'critical' && a.labels.space === 'data' && a.labels.instance === target)!;

    // Pressure: the data-root's filesystem to about 95 % used.
    const bytes = await fillTo95();
    const pressureAt = Date.now();
    const full = usedRatio();
    expect(full.ratio, `used/(used+available) after fallocate of ${bytes} bytes`).toBeGreaterThan(0.9);
    const firing = await withContext(hook.waitFor(isOurs('firing'), 60_000, `${ALERT} firing (severity critical, space data, instance ${target})`));
    const firingAlert = ours(firing, 'firing');
    expect(firingAlert.labels).toMatchObject({ alertname: ALERT, severity: 'critical', space: 'data', instance: target, job: 'docker-watchdog' });
    // The critical route of the example took it.
    expect(firing.payload.receiver).toBe('oncall-webhook');
    expect(firing.path).toBe('/oncall');

    // Space freed.
    rmSync(ballast);
    const freedAt = Date.now();
    const freed = usedRatio();
    expect(freed.ratio, 'used/(used+available) once the file is removed').toBeLessThan(0.9);
    const resolved = await withContext(hook.waitFor(isOurs('resolved'), 60_000, `${ALERT} resolved (severity critical, space data, instance ${target})`));
    const resolvedAlert = ours(resolved, 'resolved');
    expect(resolvedAlert.fingerprint).toBe(firingAlert.fingerprint);
    expect(resolved.payload.receiver).toBe('oncall-webhook');

    const startsAt = Date.parse(firingAlert.startsAt);
    const endsAt = Date.parse(resolvedAlert.endsAt);
    console.log(
      `fleet: data space ${(before.ratio * 100).toFixed(1)} % -> ${(full.ratio * 100).toFixed(1)} % (fallocate ${bytes} bytes) -> ${(freed.ratio * 100).toFixed(1)} %\n` +
        `fleet: pressure created -> firing at the webhook: ${firing.at - pressureAt} ms (the rule's startsAt ${startsAt - pressureAt} ms after the pressure)\n` +
        `fleet: space freed -> resolved at the webhook: ${resolved.at - freedAt} ms (the alert's endsAt ${endsAt - freedAt} ms after the space was freed)\n` +
        `fleet: every notification (ms since the pressure):\n  ${hook.received.map((n) => describeNotification(n, pressureAt)).join('\n  ')}`,
    );
    // The rules fire the warning too above 90 %; the example's inhibit rule keeps it from
    // being sent while the critical one fires (same alertname, instance and space).
    const warnings = hook.received.filter((n) => n.payload.alerts.some((a) => a.status === 'firing' && a.labels.alertname === ALERT && a.labels.severity === 'warning' && a.labels.instance === target));
    expect(warnings.map((n) => describeNotification(n, pressureAt)), 'a warning the critical alert inhibits').toEqual([]);
    expect(hook.malformed).toEqual([]);
  });
});
