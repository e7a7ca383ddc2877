// The embedded state store: one SQLite file (WAL mode) holding history, caches and the
// journal. Opening never crashes a run: a store that cannot be read is moved aside with
// a one-line warning and a fresh one is started; one that cannot be created at all
// (read-only disk) gives an in-memory store, so the run still reports.

import { existsSync, lstatSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileTime } from '../core/names.js';
import { reasonOf } from '../errors.js';
import { Database, type Db } from './sqlite.js';

export type { Db };

/** Where state lives: --state, else a system path for root, else the XDG state dir. */
export function defaultStatePath(env: NodeJS.ProcessEnv, uid: number, home: string): string {
  if (uid === 0) return '/var/lib/docker-watchdog/state.db';
  const base = env.XDG_STATE_HOME || join(home, '.local', 'state');
  return join(base, 'docker-watchdog', 'state.db');
}

// Each entry moves the schema one version up; PRAGMA user_version records how far a
// store has come. Never edit a released step: add a new one.
const MIGRATIONS: string[] = [
  `
  CREATE TABLE samples (
    taken_at INTEGER PRIMARY KEY,          -- ms since the epoch
    data_used INTEGER, data_total INTEGER, data_available INTEGER,
    metadata_used INTEGER, metadata_total INTEGER, metadata_available INTEGER,
    inodes_used INTEGER, inodes_total INTEGER,
    exited_count INTEGER, exited_footprint INTEGER,
    images_bytes INTEGER, containers_bytes INTEGER, volumes_bytes INTEGER, build_cache_bytes INTEGER
  );
  -- Container ids are 64 characters: stored once, referred to by a small key.
  CREATE TABLE containers (key INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, name TEXT NOT NULL);
  CREATE TABLE log_samples (
    container_key INTEGER NOT NULL REFERENCES containers(key) ON DELETE CASCADE,
    taken_at INTEGER NOT NULL,
    bytes INTEGER NOT NULL,
    PRIMARY KEY (container_key, taken_at)
  ) WITHOUT ROWID;
  -- What was measured about an exited container; valid while its change token holds.
  CREATE TABLE exited_cache (
    container_id TEXT PRIMARY KEY,
    finished_at TEXT,
    change_token TEXT NOT NULL,
    facts TEXT NOT NULL,
    footprint_bytes INTEGER,
    footprint_inodes INTEGER
  );
  CREATE TABLE journal (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,                   -- ms since the epoch
    action TEXT NOT NULL,                  -- prune, rotate, hold, export...
    target TEXT NOT NULL,                  -- container name or id, log path
    container_id TEXT,
    reason TEXT NOT NULL,
    outcome TEXT NOT NULL,                 -- done, dry-run, skipped, failed
    bytes_freed INTEGER,
    details TEXT
  );
  CREATE INDEX journal_at ON journal(at);
  `,
  `
  -- Small facts about the store itself (when it was last thinned).
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  `,
  `
  -- The last docker system df answer, reused while it is recent (issue #3).
  CREATE TABLE usage_cache (id INTEGER PRIMARY KEY CHECK (id = 1), measured_at INTEGER NOT NULL, usage TEXT NOT NULL);
  `,
  `
  -- docker diff of exited containers, valid while their change token holds (issue #4).
  CREATE TABLE changes_cache (container_id TEXT PRIMARY KEY, change_token TEXT NOT NULL, changes TEXT NOT NULL);
  `,
  `
  -- Alerting (issue #5): the level each alert key was last at, and the outbox of
  -- messages, kept until delivered.
  CREATE TABLE alert_state (key TEXT PRIMARY KEY, level TEXT NOT NULL, message TEXT NOT NULL, last_notified_at INTEGER);
  CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    created_at INTEGER NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error TEXT,
    sent_at INTEGER,
    response TEXT
  );
  `,
  `
  -- An exited container's log, measured once while its change token holds (issue #8).
  ALTER TABLE exited_cache ADD COLUMN log_files TEXT;
  `,
  `
  -- Delivery that a slow server cannot duplicate (issue #9): one Message-ID per message,
  -- kept for every attempt; when an attempt started, when the whole message had been
  -- handed to the server, and when the outcome of such an attempt stayed unknown (no
  -- answer to the final "."): that message is not sent again.
  ALTER TABLE outbox ADD COLUMN message_id TEXT;
  ALTER TABLE outbox ADD COLUMN delivery_started_at INTEGER;
  ALTER TABLE outbox ADD COLUMN transmitted_at INTEGER;
  ALTER TABLE outbox ADD COLUMN unconfirmed_at INTEGER;
  UPDATE outbox SET message_id = '<' || lower(hex(randomblob(16))) || '@docker-watchdog>' WHERE message_id IS NULL;
  `,
  `
  -- The metrics' counters are the journal's counts by action and outcome (issue #12).
  CREATE INDEX journal_action ON journal(action, outcome);
  `,
  `
  -- SETUID_DRIFT (issue #13): the modes of an exited container's changed files, beside
  -- its changes and valid with them (a new change token replaces the row).
  ALTER TABLE changes_cache ADD COLUMN modes TEXT;
  `,
  `
  -- RUNNING_DRIFT (issue #13): each docker diff of a running container, with what it
  -- cost and what it found. outside: the changes outside drift.allow (the first 100);
  -- written: every change that is not only an ancestor of another (the first 2,000),
  -- for a WRITABLE_ROOTFS suggestion; outside_key: one forensic bundle per set of
  -- outside paths; bundle: its folder. Thinned to the last 48 checks per container.
  CREATE TABLE running_drift (
    id INTEGER PRIMARY KEY,
    container_id TEXT NOT NULL,
    name TEXT NOT NULL,
    checked_at INTEGER NOT NULL,           -- ms since the epoch
    duration_ms REAL NOT NULL,
    changes INTEGER NOT NULL,
    status TEXT NOT NULL,                  -- clean, suspicious, not-applicable
    outside TEXT NOT NULL,
    outside_count INTEGER NOT NULL,
    critical_count INTEGER NOT NULL,
    written TEXT NOT NULL,
    written_count INTEGER NOT NULL,
    outside_key TEXT,
    bundle TEXT,
    modes TEXT                             -- SETUID_DRIFT's mode check, JSON; NULL: none
  );
  CREATE INDEX running_drift_container ON running_drift(container_id, checked_at);
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

function migrate(db: Db): void {
  // IMMEDIATE: two runs opening a new store at once must not both run a step; the
  // second waits (busy_timeout), then finds the work done.
  db.transaction(() => {
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) {
      throw Object.assign(new Error(`schema version ${version} is newer than this watchdog's ${SCHEMA_VERSION}`), { code: 'WATCHDOG_NEWER_SCHEMA' });
    }
    for (let v = version; v < SCHEMA_VERSION; v++) db.exec(MIGRATIONS[v]!);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}

/** Whether SQLite says a file is damaged: not a database, or corrupt (any extended
 *  code). Decided on the code, never on the message. */
export function isDamaged(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_NOTADB' || (typeof code === 'string' && code.startsWith('SQLITE_CORRUPT'));
}

function openAt(path: string, check: boolean): Db {
  const db = new Database(path);
  try {
    db.pragma('busy_timeout = 5000');
    db.pragma('journal_mode = WAL');
    // WAL with synchronous=NORMAL survives a killed process; only a power loss can
    // drop the last commits, never corrupt the file.
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    // better-sqlite3 builds SQLite with a 16 MB page cache, and the quick_check below
    // reads every page: at 10,000 exited containers (a 27 MB store) that was 16 MB of
    // every run's peak RSS. The kernel's page cache serves the pages again (issue #14).
    db.pragma('cache_size = -2000');
    migrate(db);
    // Damage past the first page shows only when read: `check` reads every page, so
    // that a damaged store is moved aside rather than failing every run. It takes time
    // in proportion to the store, so the caller says when it is due (pipeline/store.ts).
    if (check) {
      const result = String(db.pragma('quick_check', { simple: true }));
      if (result !== 'ok') throw Object.assign(new Error(`damaged: ${result.split('\n')[0]}`), { code: 'SQLITE_CORRUPT' });
    }
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

export interface OpenedStore {
  db: Db;
  /** The file, or ':memory:' when no file could be used. */
  path: string;
}

const memoryStore = (): OpenedStore => ({ db: openAt(':memory:', false), path: ':memory:' });

function isRegularFile(path: string): boolean {
  try {
    return lstatSync(path).isFile();
  } catch {
    return false;
  }
}

/** Renames a damaged store (and its WAL files) to `<path>.broken-<time>`, which it
 *  returns, for a fresh one to take its place. Throws what the rename throws. */
export function moveAside(path: string, now: Date): string {
  const aside = `${path}.broken-${fileTime(now)}`;
  for (const suffix of ['', '-wal', '-shm']) {
    if (existsSync(path + suffix)) renameSync(path + suffix, aside + suffix);
  }
  return aside;
}

/**
 * Opens (creating, migrating) the store at `path`. Only a store that is damaged (not a
 * database, or corrupt) is renamed to `<path>.broken-<time>` and replaced. Anything
 * else (busy, no permission, a full disk, a newer watchdog's store) leaves the file
 * alone and gives an in-memory store: the run still reports, without history. `check`:
 * read every page for damage first (PRAGMA quick_check).
 */
export function openStore(path: string, warn: (message: string) => void, now: Date, check = true): OpenedStore {
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  } catch {
    // openAt says what is wrong.
  }
  try {
    return { db: openAt(path, check), path };
  } catch (error) {
    const reason = reasonOf(error);
    if (!isDamaged(error) || !isRegularFile(path)) {
      warn(`cannot use the state store ${path} (${reason}); running without history this time`);
      return memoryStore();
    }
    try {
      const aside = moveAside(path, now);
      warn(`the state store ${path} could not be read (${reason}); moved it to ${aside} and started a fresh one`);
      return { db: openAt(path, false), path };
    } catch (second) {
      warn(`cannot use the state store ${path} (${reason}; ${(second as Error).message}); running without history this time`);
      return memoryStore();
    }
  }
}

/** Opens an existing store for reading only; null if there is none. Never creates,
 *  migrates or moves anything: `watchdog journal` must not change the store. */
export function openStoreReadonly(path: string): Db | null {
  if (!existsSync(path)) return null;
  try {
    const db = new Database(path, { readonly: true, fileMustExist: true });
    try {
      // Opening is lazy: only a read shows whether the store can be read here.
      db.pragma('user_version', { simple: true });
      return db;
    } catch (error) {
      db.close();
      throw error;
    }
  } catch (error) {
    // A WAL store needs its -shm file to be written even to be read: on a read-only
    // mount or a full disk it cannot be (issue #9). Read a copy in memory instead: the
    // file as of the last checkpoint, which every run makes when it closes the store.
    if (!isStorageFailure(error)) throw error;
    return readCopy(path);
  }
}

/** SQLite's codes (primary or extended, e.g. SQLITE_IOERR_SHMOPEN) for a store whose
 *  disk cannot be written: full, read-only, failing, or a file that cannot be opened.
 *  Decided on the code, never on the message; any other error is a bug. */
export function isStorageFailure(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && /^SQLITE_(CANTOPEN|IOERR|READONLY|FULL)(_|$)/.test(code);
}

/** The store's file, read into memory. Bytes 18 and 19 of the header say WAL; an
 *  in-memory database cannot be one, so they are set back to the rollback journal's. */
function readCopy(path: string): Db {
  const bytes = readFileSync(path);
  if (bytes.length >= 20) bytes[18] = bytes[19] = 1;
  return new Database(bytes, { readonly: true });
}

/** Small facts about the store itself, by key. */
export function readMeta(db: Db, key: string): string | null {
  return (db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined)?.value ?? null;
}

export function writeMeta(db: Db, key: string, value: string): void {
  db.prepare('INSERT OR REPLACE INTO meta VALUES (?, ?)').run(key, value);
}

/** The engine a store belongs to: history and caches of two engines must not mix. */
export const storeEngineId = (db: Db): string | null => readMeta(db, 'engineId');
export const setStoreEngineId = (db: Db, id: string): void => writeMeta(db, 'engineId', id);
