// The state store against a real engine: log growth from two runs and from a day of a timer's runs,
// the exited-container cache (counted at the API), runs killed mid-write, overlapping runs, a broken store.

import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, statSync, writeFileSync, writeSync } from 'node:fs';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_OFF, BIN, reportJson, runWatchdog } from '../helpers/cli.js';
import { ON_CONTAINERD_STORE, runContainer, startEngine, waitExited, type TestEngine } from '../helpers/engine.js';
import { countingProxy, type CountingProxy } from '../helpers/proxy.js';
import { assertValidReport } from '../helpers/report-schema.js';
import { pathKey } from '../../src/files/runtime.js';


let engine: TestEngine;
let proxy: CountingProxy;
let writer: string;
let exitedIds: string[];

// 100 characters a line, 10 lines a second: a steady, known writer.
const LINE = 'x'.repeat(99);

beforeAll(async () => {
  engine = await startEngine('state', 512);
  writer = await runContainer(engine.docker, { name: 'writer', cmd: ['sh', '-c', `while true; do echo ${LINE}; usleep 100000; done`], detach: true });
  exitedIds = [];
  for (let i = 0; i < 5; i++) exitedIds.push(await runContainer(engine.docker, { name: `done-${i}`, cmd: ['sh', '-c', 'echo hi > /f'] }));
  proxy = await countingProxy(`${engine.dir}/docker.sock`, `${engine.dir}/proxy.sock`);
});

afterAll(async () => {
  await proxy?.close();
  await engine?.stop();
});

const logSize = async (id: string) => statSync((await engine.docker.getContainer(id).inspect()).LogPath).size;
const state = (name: string) => `${engine.dir}/${name}.db`;

describe('state: growth', () => {
  it('measures a log growing at a steady rate within 20%, and raises LOG_GROWTH above the configured threshold', async () => {
    const store = state('growth');
    const t0 = Date.now();
    const s0 = await logSize(writer);
    await reportJson(engine.host, ['--state', store]);
    await sleep(6000);
    const t1 = Date.now();
    const s1 = await logSize(writer);
    const trueRate = ((s1 - s0) / (t1 - t0)) * 3_600_000;
    // Sanity: about 10 lines a second of ~160 bytes of JSON each.
    expect(trueRate).toBeGreaterThan(3_000_000);

    const config = `${engine.dir}/growth.yaml`;
    writeFileSync(config, `${AUDIT_OFF}logs:\n  maxGrowthPerDay: 10MB\n`);
    const { report } = await reportJson(engine.host, ['--state', store, '--config', config]);
    const entry = report.containers.find((c: any) => c.id === writer);
    expect(Math.abs(entry.log.growthBytesPerHour - trueRate) / trueRate).toBeLessThan(0.2);
    expect(report.findings).toContainEqual(expect.objectContaining({ code: 'LOG_GROWTH', severity: 'warning', containerId: writer }));
    // Exited containers do not grow.
    expect(report.containers.find((c: any) => c.id === exitedIds[0]).log.growthBytesPerHour).toBeNull();
    // The storage forecast wants more history than two runs seconds apart.
    expect(report.storage.forecast).toMatchObject({ growthBytesPerHour: null, fullAt: null, basis: expect.stringMatching(/^not enough history/) });

    // With the default threshold (1 GB a day) the same log is no finding.
    const quiet = await reportJson(engine.host, ['--state', store]);
    expect(quiet.report.findings.some((f: any) => f.code === 'LOG_GROWTH')).toBe(false);
  });
});

describe('state: a timer\'s day of history', () => {
  it("fits a log's trend over 60 of the last day's samples, read evenly from a day of runs every 5 minutes (issue #14)", async () => {
    const store = state('day');
    await reportJson(engine.host, ['--state', store]);
    // A day of runs every 5 minutes before this one, the log growing 36 MB an hour, and
    // older samples far off that trend, which the trend must not see.
    const rate = 36_000_000;
    const now = Date.now();
    const size = await logSize(writer);
    const db = new Database(store);
    try {
      const key = db.prepare('SELECT key FROM containers WHERE id = ?').pluck().get(writer) as number;
      const insert = db.prepare('INSERT OR REPLACE INTO log_samples VALUES (?, ?, ?)');
      db.transaction(() => {
        for (let ago = 1; ago <= 288; ago++) insert.run(key, now - ago * 300_000, Math.round(size - (rate * ago) / 12));
        for (let hours = 25; hours <= 48; hours++) insert.run(key, now - hours * 3_600_000, 1);
      })();
    } finally {
      db.close();
    }
    // A threshold below that rate, for LOG_GROWTH to say what the trend was fitted over.
    const config = `${engine.dir}/day.yaml`;
    writeFileSync(config, `${AUDIT_OFF}logs:\n  maxGrowthPerDay: 10MB\n`);
    const { report } = await reportJson(engine.host, ['--state', store, '--config', config]);
    const entry = report.containers.find((c: any) => c.id === writer);
    expect(Math.abs(entry.log.growthBytesPerHour - rate) / rate).toBeLessThan(0.2);
    const growth = report.findings.find((f: any) => f.code === 'LOG_GROWTH' && f.containerId === writer);
    // 59 samples of the day, evenly chosen, and this run's size; all 288 were read before.
    expect(growth.message).toMatch(/\(trend of 60 samples over (23|24) hours\)/);
  });
});

describe('state: cache of containers', () => {
  const inspects = () => proxy.requests().filter((r) => /^GET \/containers\/[0-9a-f]{64}\/json$/.test(r));
  const dfCalls = () => proxy.requests().filter((r) => r.startsWith('GET /system/df')).length;

  it('makes no inspect or footprint calls for containers that have not changed', async () => {
    const store = state('cache');
    proxy.reset();
    const first = await reportJson(proxy.host, ['--state', store]);
    // The writer; the five exited containers are read from the engine's files (issue #14).
    expect(inspects()).toEqual([`GET /containers/${writer}/json`]);
    expect(first.report.collectors.find((c: any) => c.collector === 'footprint')).toMatchObject({ measured: 5, cached: 0 });

    expect(dfCalls()).toBe(1);
    // df in the API version the ping settled on, with the containers listed (verbose).
    expect(proxy.rawRequests().filter((r) => r.includes('/system/df'))).toEqual([expect.stringMatching(/^GET \/v1\.\d+\/system\/df\?verbose=1$/)]);

    proxy.reset();
    const second = await reportJson(proxy.host, ['--state', store]);
    // Nor for a running container whose state the engine has not rewritten (issue #14).
    expect(inspects()).toEqual([]);
    // All a warm run asks (issue #14): nothing per container, so the count stays 3
    // however many containers there are.
    expect(proxy.requests().map((r) => r.replace(/\?.*$/, '')).sort()).toEqual(['GET /_ping', 'GET /containers/json', 'GET /info'].sort());
    // docker system df is costly: a recent answer is reused, and says when it was made.
    expect(dfCalls()).toBe(0);
    expect(second.report.usage).toEqual(first.report.usage);
    expect(second.report.collectors.find((c: any) => c.collector === 'usage')).toMatchObject({ measured: 0, cached: 1 });
    expect(second.report.collectors.find((c: any) => c.collector === 'footprint')).toMatchObject({ measured: 0, cached: 5 });
    // ...and reports the same facts from the cache.
    const strip = (r: any) => r.containers.filter((c: any) => c.state === 'exited').map((c: any) => ({ ...c, log: { ...c.log, growthBytesPerHour: null } }));
    expect(strip(second.report)).toEqual(strip(first.report));
    expect(second.report.exited).toEqual(first.report.exited);
    // The running one's facts from the cache are those its inspect gave; its log is
    // measured now.
    const facts = (r: any) => {
      const { log, sizeRwBytes: _s, ...rest } = r.containers.find((c: any) => c.id === writer);
      return { ...rest, log: { driver: log.driver, path: log.path, maxSizeBytes: log.maxSizeBytes, maxFiles: log.maxFiles, bounded: log.bounded } };
    };
    expect(facts(second.report)).toEqual(facts(first.report));
    expect(facts(second.report)).toMatchObject({ state: 'running', log: { path: expect.stringContaining(writer) } });

    // A container that ran again is measured again, from the engine's files (issue #14).
    await engine.docker.getContainer(exitedIds[0]!).start();
    await waitExited(engine.docker, exitedIds[0]!);
    proxy.reset();
    const third = await reportJson(proxy.host, ['--state', store]);
    expect(inspects()).toEqual([]);
    expect(third.report.collectors.find((c: any) => c.collector === 'containers')).toMatchObject({ measured: 1, cached: 5 });
    expect(third.report.collectors.find((c: any) => c.collector === 'footprint')).toMatchObject({ measured: 1, cached: 4 });
    expect(third.report.containers.find((c: any) => c.id === exitedIds[0]).finishedAt).not.toBe(first.report.containers.find((c: any) => c.id === exitedIds[0]).finishedAt);

    // A running container that was paused, and then unpaused, is inspected again each
    // time (the engine rewrote its config.v2.json), and shows as it is now.
    for (const [change, state] of [['pause', 'paused'], ['unpause', 'running']] as const) {
      await engine.docker.getContainer(writer)[change]();
      proxy.reset();
      const after = await reportJson(proxy.host, ['--state', store]);
      expect(inspects()).toEqual([`GET /containers/${writer}/json`]);
      expect(after.report.containers.find((c: any) => c.id === writer)).toMatchObject({ state });
    }
    // Its log is measured afresh on every run, never taken from the cache.
    const before = (await reportJson(engine.host, ['--state', store])).report.containers.find((c: any) => c.id === writer).log.bytes;
    await sleep(1000);
    expect((await reportJson(engine.host, ['--state', store])).report.containers.find((c: any) => c.id === writer).log.bytes).toBeGreaterThan(before);

    // --fresh asks the engine again.
    proxy.reset();
    const fresh = await reportJson(proxy.host, ['--state', store, '--fresh']);
    expect(dfCalls()).toBe(1);
    expect(Date.parse(fresh.report.usage.measuredAt)).toBeGreaterThan(Date.parse(first.report.usage.measuredAt));
  });
});

describe('state: robustness', () => {
  it('leaves a store the next run reads after runs killed with SIGKILL at any point', async () => {
    const store = state('killed');
    for (const delay of [20, 80, 150, 220, 300, 380, 460, 550]) {
      const child = spawn(process.execPath, [BIN, 'report', '--json', '--host', engine.host, '--state', store], { stdio: 'ignore' });
      const closed = new Promise((resolve) => child.on('close', resolve));
      await sleep(delay);
      child.kill('SIGKILL'); // a no-op if the run already finished
      await closed;
      const next = await runWatchdog(['report', '--json', '--host', engine.host, '--state', store]);
      expect(next.stderr).toBe('');
      assertValidReport(JSON.parse(next.stdout));
    }
    const db = new Database(store, { readonly: true });
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect((db.prepare('SELECT count(*) AS n FROM samples').get() as { n: number }).n).toBeGreaterThanOrEqual(8);
    db.close();
    expect(readdirSync(engine.dir).filter((f) => f.includes('broken'))).toEqual([]);
  });

  it('runs two runs started together one after the other, each recorded once', async () => {
    const store = state('overlap');
    const [a, b] = await Promise.all([reportJson(engine.host, ['--state', store]), reportJson(engine.host, ['--state', store])]);
    expect(a.stderr + b.stderr).toBe('');
    const db = new Database(store, { readonly: true });
    expect((db.prepare('SELECT count(*) AS n FROM samples').get() as { n: number }).n).toBe(2);
    db.close();
  });

  it('gives up with exit 3 and one sentence when another run holds the lock too long', async () => {
    const store = state('locked');
    // Hold the lock as a running watchdog would.
    const holder = new Database(`${store}.lock`);
    holder.exec('BEGIN EXCLUSIVE');
    try {
      const { code, stdout, stderr } = await runWatchdog(['report', '--host', engine.host, '--state', store, '--wait', '1']);
      expect(code).toBe(3);
      expect(stdout).toBe('');
      expect(stderr).toBe(`watchdog: Another watchdog run holds the lock on ${store} and did not finish within 1 s; try again when it is done, or give this run its own --state.\n`);
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
    expect((await runWatchdog(['report', '--host', engine.host, '--state', store])).stderr).toBe('');
  });

  it("asks the engine again when it waited for another run's lock, however briefly: what it asked before is stale (issue #14)", async () => {
    const store = state('waited');
    await reportJson(engine.host, ['--state', store]);
    const openings = () => proxy.requests().filter((r) => r === 'GET /_ping').length;
    const holder = new Database(`${store}.lock`);
    holder.exec('BEGIN EXCLUSIVE');
    let held = true;
    try {
      proxy.reset();
      const waiting = reportJson(proxy.host, ['--state', store, '--wait', '30']);
      // Its first questions go out before it begins to wait.
      for (let waited = 0; openings() === 0 && waited < 20_000; waited += 50) await sleep(50);
      // Under a second: the run must ask again after any wait.
      await sleep(500);
      expect(openings()).toBe(1);
      holder.exec('ROLLBACK');
      held = false;
      await waiting;
      expect(openings()).toBe(2);
      expect(proxy.requests().filter((r) => r === 'GET /info')).toHaveLength(2);
      // One that did not wait asks once.
      proxy.reset();
      await reportJson(proxy.host, ['--state', store]);
      expect(openings()).toBe(1);
    } finally {
      if (held) holder.exec('ROLLBACK');
      holder.close();
    }
  });

  it('ends at once when refused its store, even with a hung engine: the questions already asked are given up (issue #14)', async () => {
    const store = state('refused');
    // An engine that takes connections and answers nothing: its ping would take 10 s.
    const hungSocket = `${engine.dir}/hung.sock`;
    const hung = net.createServer(() => {});
    await new Promise<void>((resolve) => hung.listen(hungSocket, resolve));
    const holder = new Database(`${store}.lock`);
    holder.exec('BEGIN EXCLUSIVE');
    try {
      const started = performance.now();
      const { code, stderr } = await runWatchdog(['report', '--host', `unix://${hungSocket}`, '--state', store, '--wait', '1']);
      expect(code).toBe(3);
      expect(stderr).toBe(`watchdog: Another watchdog run holds the lock on ${store} and did not finish within 1 s; try again when it is done, or give this run its own --state.\n`);
      expect(performance.now() - started).toBeLessThan(6000);
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
      hung.close();
    }
  });

  it('moves a corrupt store aside with a one-line warning and carries on', async () => {
    const store = state('corrupt');
    writeFileSync(store, Buffer.alloc(8192, 0xab));
    const { code, stdout, stderr } = await runWatchdog(['report', '--json', '--host', engine.host, '--state', store]);
    expect(code).not.toBe(3);
    assertValidReport(JSON.parse(stdout));
    expect(stderr).toMatch(new RegExp(`^watchdog: warning: the state store ${store} could not be read \\(.+\\); moved it to ${store}\\.broken-\\S+ and started a fresh one\\n$`));
    expect(readdirSync(engine.dir).some((f) => f.startsWith('corrupt.db.broken-'))).toBe(true);
    expect(existsSync(store)).toBe(true);
  });
});

describe('state: the damage check', () => {
  // Reading every page of the store is due once a day (pipeline/store.ts, issue #14):
  // in between, damage shows when a run meets it, and that run moves the store aside.
  it('checks every page once a day, and a run that meets damage between checks moves the store aside', async () => {
    const store = state('checked');
    const mark = `${process.env.WATCHDOG_RUNTIME_DIR}/checked/${pathKey(store)}`;
    const report = () => runWatchdog(['report', '--json', '--host', engine.host, '--state', store]);
    expect((await report()).code).not.toBe(3);
    const checkedAt = () => Number(readFileSync(mark, 'utf8'));
    const first = checkedAt();
    expect(Date.now() - first).toBeLessThan(60_000);
    // Within the day, no check: the time stays.
    expect((await report()).code).not.toBe(3);
    expect(checkedAt()).toBe(first);

    // A day later the next run checks again, and keeps when.
    const dayAgo = Date.now() - 25 * 3600_000;
    writeFileSync(mark, String(dayAgo));
    expect((await report()).code).not.toBe(3);
    expect(checkedAt()).toBeGreaterThan(dayAgo + 3600_000);

    // Everything past the first page overwritten, the schema intact: an unchecked run
    // meets it in its first query, moves the store aside and ends with exit 3.
    const size = statSync(store).size;
    const fd = openSync(store, 'r+');
    writeSync(fd, Buffer.alloc(size - 4096, 0x5a), 0, size - 4096, 4096);
    closeSync(fd);
    const damaged = await report();
    expect(damaged.code).toBe(3);
    expect(damaged.stdout).toBe('');
    const said = new RegExp(`^watchdog: The state store ${store} is damaged \\([^)]+\\): moved it to (${store}\\.broken-\\S+); the next run starts a fresh one\\.\\n$`).exec(damaged.stderr);
    expect(said, damaged.stderr).not.toBeNull();
    expect(existsSync(said![1]!)).toBe(true);
    expect(existsSync(store)).toBe(false);

    const next = await report();
    expect(next.code).not.toBe(3);
    assertValidReport(JSON.parse(next.stdout));
    expect(next.stderr).toBe('');
    expect(existsSync(store)).toBe(true);
  });
});

describe('state: one store per engine', () => {
  it("neither uses nor changes the history of another engine's store", async () => {
    const store = state('foreign');
    await reportJson(engine.host, ['--state', store]);
    const db = new Database(store);
    db.prepare("UPDATE meta SET value = 'another-engine' WHERE key = 'engineId'").run();
    const samples = () => (db.prepare('SELECT count(*) AS n FROM samples').get() as { n: number }).n;
    const before = samples();
    const { stderr, report } = await reportJson(engine.host, ['--state', store]);
    expect(stderr).toMatch(/^watchdog: warning: the state store holds the history of engine another-engine, not of this one \(\S+\): not using or changing it; give each engine its own --state\n$/);
    expect(report.storage.forecast.basis).toMatch(/^not enough history: 1 sample/);
    expect(samples()).toBe(before);
    db.close();
  });
});

describe('state: what a run loads', () => {
  // What a warm run loads is most of its time at 1,000 containers (issue #14). CI runs
  // this on Node.js 20, 22 and 24: only 22 and 24 have the undici getters.
  it("takes better-sqlite3's JavaScript from its own bundle, only the addon from node_modules, never loads undici, and off the containerd image store neither crypto, zlib nor child_process", async () => {
    const hook = `${engine.dir}/loaded.mjs`;
    writeFileSync(
      hook,
      [
        "import { createRequire } from 'node:module';",
        'const cache = createRequire(import.meta.url).cache;',
        "process.on('exit', () => process.stderr.write(`LOADED ${JSON.stringify({ builtins: process.moduleLoadList, files: Object.keys(cache) })}\\n`));",
      ].join('\n'),
    );
    // A warm run: the second on its store, as a timer's runs are.
    const store = state('loaded');
    await reportJson(engine.host, ['--state', store]);
    const { stdout, stderr } = await runWatchdog(['report', '--json', '--host', engine.host, '--state', store], { NODE_OPTIONS: `--import "${hook}"` });
    expect(JSON.parse(stdout).exited.count).toBe(5);
    const loaded = JSON.parse(/^LOADED (.*)$/m.exec(stderr)![1]!) as { builtins: string[]; files: string[] };
    expect(loaded.files.filter((f) => f.includes('/node_modules/'))).toEqual([expect.stringMatching(/\/node_modules\/better-sqlite3\/build\/Release\/better_sqlite3\.node$/)]);
    expect(loaded.builtins.filter((m) => m.includes('undici'))).toEqual([]);
    // 41 M of a warm report's 937 M instructions at 1,000 containers (src/builtins.ts).
    // On the containerd image store every run asks containerd where the snapshots live
    // (collect/index.ts), and its gRPC client needs crypto and zlib.
    const heavy = loaded.builtins.filter((m) => /^NativeModule (crypto|zlib|child_process)$/.test(m));
    expect([...heavy].sort()).toEqual(ON_CONTAINERD_STORE ? ['NativeModule crypto', 'NativeModule zlib'] : []);
    // It did load the http client it asks the engine with.
    expect(loaded.builtins).toContain('NativeModule _http_client');
  });
});

describe('watchdog journal', () => {
  it('lists the journal as JSON and as text, and rejects a bad --since', async () => {
    const store = state('journal');
    await reportJson(engine.host, ['--state', store]); // creates the store
    // Entries as the enforcement commands (issue #4) will write them.
    const db = new Database(store);
    const insert = db.prepare('INSERT INTO journal (at, action, target, container_id, reason, outcome, bytes_freed, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    insert.run(Date.now() - 3_600_000, 'prune', 'done-1', exitedIds[1], 'finished 2 days ago > 24h', 'done', 139_264, null);
    insert.run(Date.now() - 10 * 86_400_000, 'prune', 'old', null, 'finished 12 days ago > 24h', 'done', 1000, null);
    db.close();

    const json = await runWatchdog(['journal', '--json', '--state', store]);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout).entries).toEqual([
      expect.objectContaining({ action: 'prune', target: 'done-1', containerId: exitedIds[1], reason: 'finished 2 days ago > 24h', outcome: 'done', bytesFreed: 139_264 }),
    ]);
    const text = await runWatchdog(['journal', '--since', '30d', '--state', store]);
    expect(text.stdout.split('\n').filter(Boolean)).toHaveLength(3);
    expect(text.stdout).toMatch(/prune +done-1 +done +139 kB +finished 2 days ago > 24h/);

    // Durations are read as the configuration reads them: a bare number has no unit
    // (24 ms? 24 hours?), and is refused with the same hint.
    for (const since of ['soon', '24', '1M']) {
      const bad = await runWatchdog(['journal', '--since', since, '--state', store]);
      expect(bad.code).toBe(64);
      expect(bad.stderr).toBe(`watchdog: --since "${since}" is not a duration; write e.g. 30m, 1h or 7d.\n`);
    }
  });
});
