// The state store on real SQLite files in a temporary directory.

import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { beforeEach, describe, expect, it } from 'vitest';
import type { ContainerFacts, Snapshot } from '../../src/core/model.js';
import { logConfigFacts } from '../../src/core/logs.js';
import { filesystemStorage } from '../../src/core/storage.js';
import { facts, logOf } from '../helpers/facts.js';
import { recentUsage, recordExitedCache, recordUsage, sqliteExitedCache } from '../../src/state/cache.js';
import { readHistory, recordRun } from '../../src/state/history.js';
import { appendJournal, readJournal } from '../../src/state/journal.js';
import { acquireRunLock, StateLockedError } from '../../src/state/lock.js';
import { defaultStatePath, isDamaged, openStore, SCHEMA_VERSION, type Db } from '../../src/state/store.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const now = new Date('2026-11-28T12:00:00Z');
let dir: string;
let warnings: string[];
const warn = (m: string) => warnings.push(m);

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'wd-state-'));
  warnings = [];
});

function container(id: string, state: string, logBytes: number): ContainerFacts {
  const exited = state === 'exited';
  return facts({
    id,
    name: `name-${id}`,
    state,
    finishedAt: exited ? '2026-11-27T00:00:00.000Z' : null,
    logConfig: logConfigFacts('json-file', {}),
    logFiles: logOf(logBytes, `/x/${id}-json.log`),
    footprint: exited ? { bytes: 140_000, inodes: 42 } : null,
    changeToken: exited ? `token-${id}` : null,
  });
}

/** The history from `since` on (inclusive), every log sample of it. */
const from = (since: number) => ({ storageSince: since, storageBefore: 0, logsAfter: since - 1, logPoints: 1000 });

function snapshot(at: number, containers: ContainerFacts[], used = 1e9): Snapshot {
  return {
    takenAt: new Date(at),
    engine: null,
    storage: filesystemStorage('/var/lib/docker', { bsize: 1, blocks: 10e9, bfree: 10e9 - used, bavail: 10e9 - used, files: 1000, ffree: 500 }),
    usage: null,
    containers,
    failures: [],
  };
}

describe('openStore', () => {
  it('creates and migrates a store in WAL mode', () => {
    const path = join(dir, 'sub', 'state.db');
    const { db } = openStore(path, warn, now);
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
    expect(warnings).toEqual([]);
  });

  it('moves an unreadable store aside with one warning and starts a fresh one', () => {
    const path = join(dir, 'state.db');
    writeFileSync(path, 'this is not a database, just garbage left by something else'.repeat(100));
    const { db, path: used } = openStore(path, warn, now);
    expect(used).toBe(path);
    expect(db.prepare('SELECT count(*) AS n FROM samples').get()).toEqual({ n: 0 });
    db.close();
    expect(warnings).toEqual([`the state store ${path} could not be read (file is not a database); moved it to ${path}.broken-2026-11-28T12-00-00-000Z and started a fresh one`]);
    expect(existsSync(`${path}.broken-2026-11-28T12-00-00-000Z`)).toBe(true);
  });

  it('leaves the store of a newer watchdog alone and runs without history', () => {
    const path = join(dir, 'state.db');
    const newer = new Database(path);
    newer.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    newer.close();
    const { path: used } = openStore(path, warn, now);
    expect(used).toBe(':memory:');
    expect(warnings[0]).toMatch(/newer than this watchdog's/);
    expect(readdirSync(dir)).toEqual(['state.db']);
  });

  it('leaves alone what it cannot use but that is not damaged, and runs without history', () => {
    // --state pointing at a directory must never have that directory renamed.
    const { path: used } = openStore(dir, warn, now);
    expect(used).toBe(':memory:');
    expect(warnings[0]).toMatch(new RegExp(`^cannot use the state store ${dir} \\(`));
    expect(readdirSync(dir)).toEqual([]);
  });

  const damagedPastFirstPage = (path: string) => {
    const first = openStore(path, warn, now).db;
    const insert = first.prepare('INSERT INTO samples (taken_at, data_used) VALUES (?, ?)');
    for (let i = 0; i < 5000; i++) insert.run(i, i);
    first.pragma('wal_checkpoint(TRUNCATE)');
    first.close();
    const fd = openSync(path, 'r+');
    writeSync(fd, Buffer.alloc(4096, 0x5a), 0, 4096, 4096 * 5);
    closeSync(fd);
  };

  it('moves aside a store damaged past its first page', () => {
    const path = join(dir, 'state.db');
    damagedPastFirstPage(path);
    const { path: used } = openStore(path, warn, now);
    expect(used).toBe(path);
    expect(warnings).toEqual([expect.stringMatching(/^the state store \S+ could not be read \((damaged|database disk image is malformed)[^\n]*\); moved it to \S+ and started a fresh one$/)]);
  });

  it('reads no page past the first when no check is due, so the damage shows only in a query', () => {
    const path = join(dir, 'state.db');
    damagedPastFirstPage(path);
    const { db, path: used } = openStore(path, warn, now, false);
    expect(used).toBe(path);
    expect(warnings).toEqual([]);
    let error: unknown = null;
    try {
      // The overwritten page is the root of one of the tables: read them all.
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[];
      for (const table of tables) db.prepare(`SELECT * FROM "${table}"`).all();
    } catch (thrown) {
      error = thrown;
    }
    db.close();
    expect(isDamaged(error)).toBe(true);
  });

  it('recreates a lock file that something overwrote', () => {
    const path = join(dir, 'state.db');
    writeFileSync(`${path}.lock`, 'garbage'.repeat(1000));
    const lock = acquireRunLock(path, 0);
    expect(lock.unavailable).toBeNull();
    lock.release();
  });

  it('puts the store under /var/lib for root and under XDG_STATE_HOME otherwise', () => {
    expect(defaultStatePath({}, 0, '/root')).toBe('/var/lib/docker-watchdog/state.db');
    expect(defaultStatePath({ XDG_STATE_HOME: '/s' }, 1000, '/home/a')).toBe('/s/docker-watchdog/state.db');
    expect(defaultStatePath({}, 1000, '/home/a')).toBe('/home/a/.local/state/docker-watchdog/state.db');
  });
});

describe('history', () => {
  it('records storage and the logs of running containers, and reads them back', () => {
    const { db } = openStore(join(dir, 'state.db'), warn, now);
    recordRun(db, snapshot(now.getTime() - HOUR, [container('a', 'running', 100), container('b', 'exited', 50)], 1e9));
    recordRun(db, snapshot(now.getTime(), [container('a', 'running', 300)], 2e9));
    const history = readHistory(db, from(0));
    expect(history.storage).toEqual([
      { at: now.getTime() - HOUR, dataUsed: 1e9, inodesUsed: 500 },
      { at: now.getTime(), dataUsed: 2e9, inodesUsed: 500 },
    ]);
    expect(history.logs).toEqual({ a: [{ at: now.getTime() - HOUR, value: 100 }, { at: now.getTime(), value: 300 }] });
  });

  it('reads each running container\'s log samples since a time, oldest first', () => {
    const { db } = openStore(join(dir, 'state.db'), warn, now);
    for (const [ago, bytes] of [[3, 10], [2, 20], [1, 30], [0, 40]] as const) {
      recordRun(db, snapshot(now.getTime() - ago * HOUR, [container('a', 'running', bytes), container('b', 'running', bytes * 2)]));
    }
    const at = (ago: number) => now.getTime() - ago * HOUR;
    expect(readHistory(db, from(at(1))).logs).toEqual({
      a: [{ at: at(1), value: 30 }, { at: at(0), value: 40 }],
      b: [{ at: at(1), value: 60 }, { at: at(0), value: 80 }],
    });
    expect(readHistory(db, from(at(0) + 1)).logs).toEqual({});
  });

  it("reads storage since a time, and of each log only the samples after a time, at most as many as asked, evenly chosen (issue #14)", () => {
    const { db } = openStore(join(dir, 'state.db'), warn, now);
    const every5min = Array.from({ length: 289 }, (_, i) => now.getTime() - (288 - i) * 5 * 60_000);
    for (const at of every5min) recordRun(db, snapshot(at, [container('a', 'running', at / 1000), container('b', 'running', 7)]));
    // Every run's log sample again: the store's thinning keeps 70 of a 5-minute timer's
    // day (below), but a timer every minute leaves more, and the read must choose.
    const insert = db.prepare('INSERT OR REPLACE INTO log_samples VALUES ((SELECT key FROM containers WHERE id = ?), ?, ?)');
    for (const at of every5min) {
      insert.run('a', at, at / 1000);
      insert.run('b', at, 7);
    }
    // A day before now, as a pass reads it (pipeline/gather.ts): the sample exactly a day
    // old is the trends' no more (core/forecast.ts), so it is not read either.
    const history = readHistory(db, { storageSince: now.getTime() - DAY, storageBefore: 0, logsAfter: now.getTime() - DAY, logPoints: 59 });
    expect(history.storage).toHaveLength(289);
    const a = history.logs.a!;
    expect(a).toHaveLength(59);
    expect(a[0]).toEqual({ at: every5min[1], value: every5min[1]! / 1000 });
    expect(a.at(-1)).toEqual({ at: every5min.at(-1), value: every5min.at(-1)! / 1000 });
    const gaps = a.slice(1).map((p, i) => (p.at - a[i]!.at) / (5 * 60_000));
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(4);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(6);
    expect(history.logs.b).toHaveLength(59);
    expect(history.logs.b!.every((p) => p.value === 7)).toBe(true);
    // Fewer than that are read as they are.
    expect(readHistory(db, { storageSince: now.getTime(), storageBefore: 0, logsAfter: every5min[230]!, logPoints: 59 }).logs.a).toHaveLength(58);
    // Storage: since a time, and as many before it as asked, oldest first.
    const storage = readHistory(db, { storageSince: every5min[280]!, storageBefore: 3, logsAfter: now.getTime(), logPoints: 59 }).storage;
    expect(storage.map((sample) => sample.at)).toEqual(every5min.slice(277));
  });

  it('forgets the log history of a removed container', () => {
    const { db } = openStore(join(dir, 'state.db'), warn, now);
    recordRun(db, snapshot(now.getTime() - HOUR, [container('a', 'running', 100)]));
    recordRun(db, snapshot(now.getTime(), []));
    expect(readHistory(db, from(0)).logs).toEqual({});
  });

  it('thins a year of runs every 5 minutes to every run for 2 days, hourly for a month, daily for a year', () => {
    const path = join(dir, 'state.db');
    const { db } = openStore(path, warn, now);
    const start = now.getTime() - 400 * DAY;
    // Insert directly (recordRun thins each time; here the thinning is run once at the end).
    const insert = db.prepare('INSERT INTO samples (taken_at, data_used) VALUES (?, 1)');
    db.transaction(() => {
      for (let at = start; at <= now.getTime() - 5 * 60_000; at += 5 * 60_000) insert.run(at);
    })();
    recordRun(db, snapshot(now.getTime(), []));
    const count = (from: number, to: number) => (db.prepare('SELECT count(*) AS n FROM samples WHERE taken_at >= ? AND taken_at < ?').get(from, to) as { n: number }).n;
    const t = now.getTime();
    expect(count(t - 2 * DAY, t + 1)).toBe(2 * 24 * 12 + 1); // every run
    expect(count(t - 30 * DAY, t - 2 * DAY)).toBe(28 * 24); // hourly
    expect(count(t - 365 * DAY, t - 30 * DAY)).toBeGreaterThanOrEqual(334); // daily
    expect(count(t - 365 * DAY, t - 30 * DAY)).toBeLessThanOrEqual(336);
    expect(count(0, t - 365 * DAY)).toBe(0);
    db.close();
  });
});

describe('incremental thinning', () => {
  // Buckets of 24 minutes from the epoch: a container that starts 10 minutes into one
  // shares it with another's samples, and must keep its own first.
  const BUCKET = 24 * 60_000;

  it('thins run by run as samples age, as one pass over everything would', () => {
    const { db } = openStore(join(dir, 'state.db'), warn, now);
    const t = now.getTime();
    const start = t - 3 * DAY;
    const bStarts = t - 10 * HOUR + 10 * 60_000;
    // Three days of runs every 5 minutes, each recording (and thinning) as a timer would.
    for (let at = start; at <= t; at += 5 * 60_000) {
      recordRun(db, snapshot(at, [container('a', 'running', at / 1000), ...(at >= bStarts ? [container('b', 'running', at / 1000)] : [])]));
    }
    const samples = (from: number, to: number) => (db.prepare('SELECT count(*) AS n FROM samples WHERE taken_at >= ? AND taken_at < ?').get(from, to) as { n: number }).n;
    expect(samples(t - 2 * DAY, t + 1)).toBe(2 * 24 * 12 + 1);
    expect(samples(start, t - 2 * DAY)).toBe(24);
    // Logs: every run for an hour, the first of each 24 minutes for the rest of the
    // day (23 hours: 57 or 58 of them), nothing older.
    expect(logTimes(db, 'a', t - HOUR, t + 1)).toHaveLength(13);
    const day = logTimes(db, 'a', t - DAY, t - HOUR);
    expect(day.length).toBeGreaterThanOrEqual(57);
    expect(day.length).toBeLessThanOrEqual(58);
    expect(new Set(day.map((at) => Math.floor(at / BUCKET))).size).toBe(day.length);
    expect(logTimes(db, 'a', 0, t - DAY)).toEqual([]);
    expect(logTimes(db, 'b', 0, t + 1)[0]).toBe(bStarts);
    expect(logTimes(db, 'b', 0, t - HOUR)).toHaveLength(23);
  });

  it("thins a store's whole log history once, the first time it keeps logs for a day (issue #14)", () => {
    const { db } = openStore(join(dir, 'state.db'), warn, now);
    const t = now.getTime();
    const bStarts = t - 10 * HOUR + 10 * 60_000;
    recordRun(db, snapshot(t - 400 * DAY, [container('a', 'running', 1), container('b', 'running', 1)]));
    // What a store from before that rule holds: a week of every run of each log, and a
    // thinning that is recorded as up to date for storage but never ran for logs.
    const insert = db.prepare('INSERT INTO log_samples VALUES ((SELECT key FROM containers WHERE id = ?), ?, 1)');
    db.transaction(() => {
      for (let at = t - 7 * DAY; at < t; at += 5 * 60_000) {
        insert.run('a', at);
        if (at >= bStarts) insert.run('b', at);
      }
    })();
    db.prepare("UPDATE meta SET value = ? WHERE key = 'thinnedAt'").run(String(t - 5 * 60_000));
    db.prepare("DELETE FROM meta WHERE key = 'logsThinnedAt'").run();
    recordRun(db, snapshot(t, [container('a', 'running', 2), container('b', 'running', 2)]));
    expect(logTimes(db, 'a', 0, t - DAY)).toEqual([]);
    const day = logTimes(db, 'a', t - DAY, t - HOUR);
    expect(day.length).toBeGreaterThanOrEqual(57);
    expect(day.length).toBeLessThanOrEqual(58);
    expect(new Set(day.map((at) => Math.floor(at / BUCKET))).size).toBe(day.length);
    expect(logTimes(db, 'a', t - HOUR, t + 1)).toHaveLength(13);
    expect(logTimes(db, 'b', 0, t + 1)[0]).toBe(bStarts);
    expect(db.prepare("SELECT value FROM meta WHERE key = 'logsThinnedAt'").pluck().get()).toBe(String(t));
  });
});

/** The times of container `id`'s log samples from `from` to before `to`, oldest first. */
const logTimes = (db: Db, id: string, from: number, to: number) =>
  db.prepare("SELECT taken_at FROM log_samples WHERE container_key = (SELECT key FROM containers WHERE id = ?) AND taken_at >= ? AND taken_at < ? ORDER BY taken_at").pluck().all(id, from, to) as number[];

describe('exited cache', () => {
  it('returns what was measured while the change token holds, and forgets removed containers', () => {
    const { db } = openStore(join(dir, 'state.db'), warn, now);
    recordExitedCache(db, [container('b', 'exited', 0), container('c', 'exited', 0)], true);
    // Each run reads the cache once, as it was when the run began.
    const cache = sqliteExitedCache(db);
    expect(cache.lookup('b', 'token-b')).toMatchObject({ facts: { id: 'b', name: 'name-b', state: 'exited' }, footprint: { bytes: 140_000, inodes: 42 } });
    expect(cache.lookup('b', 'another-token')).toBeNull();
    recordExitedCache(db, [container('c', 'exited', 0)], true);
    const next = sqliteExitedCache(db);
    expect(next.lookup('b', 'token-b')).toBeNull();
    expect(next.lookup('c', 'token-c')).not.toBeNull();
  });

  it('answers a pass of lookups in one read of the store, inside a transaction or not (issue #14)', () => {
    const { db } = openStore(join(dir, 'state.db'), warn, now);
    recordExitedCache(db, [container('b', 'exited', 0), container('c', 'exited', 0)], true);
    const cache = sqliteExitedCache(db);
    const pass = () => ({ reading: db.inTransaction, found: ['b', 'c', 'd'].map((id) => cache.lookup(id, `token-${id}`)?.facts.id ?? null) });
    expect(cache.inOneRead(pass)).toEqual({ reading: true, found: ['b', 'c', null] });
    expect(db.inTransaction).toBe(false);
    // Within a transaction of the caller's, the pass is part of it.
    expect(db.transaction(() => cache.inOneRead(pass))()).toEqual({ reading: true, found: ['b', 'c', null] });
  });

  it("keeps a running container's inspect facts while its token holds, never its log or footprint (issue #14)", () => {
    const { db } = openStore(join(dir, 'state.db'), warn, now);
    const running = { ...container('r', 'running', 5000), changeToken: 'token-r' };
    recordExitedCache(db, [running, container('c', 'exited', 0)], true);
    expect(sqliteExitedCache(db).lookup('r', 'token-r')).toEqual({ facts: expect.objectContaining({ id: 'r', name: 'name-r', state: 'running' }), footprint: null, logFiles: null });
    // A later run that lists it keeps it as it is (INSERT OR REPLACE would give the row
    // a new rowid); one that does not, forgets it.
    const rowid = () => (db.prepare("SELECT rowid AS id FROM exited_cache WHERE container_id = 'r'").get() as { id: number } | undefined)?.id;
    const first = rowid();
    recordExitedCache(db, [running], true);
    expect(rowid()).toBe(first);
    recordExitedCache(db, [container('c', 'exited', 0)], true);
    expect(sqliteExitedCache(db).lookup('r', 'token-r')).toBeNull();
  });

  it('reuses a docker system df answer younger than the maximum age', () => {
    const { db } = openStore(join(dir, 'state.db'), warn, now);
    const line = { count: 1, active: 1, sizeBytes: 10, reclaimableBytes: 0 };
    const usage = { measuredAt: now.toISOString(), images: line, containers: line, volumes: line, buildCache: line, sizeRwById: { a: 5 } };
    expect(recentUsage(db, now, HOUR)).toBeNull();
    recordUsage(db, usage);
    expect(recentUsage(db, new Date(now.getTime() + HOUR - 1), HOUR)).toEqual(usage);
    expect(recentUsage(db, new Date(now.getTime() + HOUR), HOUR)).toBeNull();
    // A clock that went backwards does not make an answer from the future "recent".
    expect(recentUsage(db, new Date(now.getTime() - 1000), HOUR)).toBeNull();
  });
});

describe('journal', () => {
  it('keeps entries in order and reads them since a time', () => {
    const { db } = openStore(join(dir, 'state.db'), warn, now);
    const entry = { action: 'prune', target: 'job-1', containerId: 'abc', reason: 'finished 3 days ago > 24h', outcome: 'done' as const, bytesFreed: 140_000, details: null };
    appendJournal(db, { ...entry, at: '2026-11-20T00:00:00.000Z' });
    appendJournal(db, { ...entry, at: '2026-11-28T11:00:00.000Z', target: 'job-2' });
    expect(readJournal(db, now.getTime() - DAY).map((e) => e.target)).toEqual(['job-2']);
    expect(readJournal(db, 0)).toHaveLength(2);
  });
});

describe('run lock', () => {
  it('lets one run at a time hold the store, and says so after waiting', () => {
    const path = join(dir, 'state.db');
    const first = acquireRunLock(path, 0);
    const started = Date.now();
    expect(() => acquireRunLock(path, 300)).toThrow(StateLockedError);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    first.release();
    acquireRunLock(path, 0).release();
    expect(statSync(`${path}.lock`).isFile()).toBe(true);
  });
});
