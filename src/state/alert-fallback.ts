// Alert state and the outbox when the state store cannot hold them: a store that could
// not be opened or locked (the run has an in-memory one), or one whose writes fail (a
// full disk: SQLITE_FULL, SQLITE_IOERR). Without this, every such run would mail again:
// no cooldown on the one day that matters. They are kept in a small JSON file on a
// tmpfs (which stays writable when the disks are full), replaced atomically (written
// beside it, then renamed), and moved back into the store by the first run that can
// write it again.

import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runtimePath, pathKey } from '../files/runtime.js';
import type { AlertState } from '../core/alerts.js';
import { retryDelayMs } from '../core/alerts.js';
import { DAY } from '../core/durations.js';
import { importAlerts, readAlertState, readOutbox, storeBook, type AlertBook, type OutboxMessage, type OutboxRow } from './alerts.js';
import { isStorageFailure, type Db } from './store.js';

/** Where the fallback file lives: in the runtime folder (files/runtime.ts), a tmpfs that
 *  survives a full disk, not a reboot; one file per state store, so two stores never
 *  share a cooldown. */
export function alertFallbackPath(statePath: string, env: NodeJS.ProcessEnv): string {
  return runtimePath(env, `alerts-${pathKey(statePath)}.json`);
}

interface FallbackFile {
  version: 1;
  state: AlertState[];
  outbox: OutboxRow[];
}

function readFallback(path: string): FallbackFile | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return null;
  }
  try {
    const data = JSON.parse(text) as FallbackFile;
    return data.version === 1 && Array.isArray(data.state) && Array.isArray(data.outbox) ? data : null;
  } catch {
    return null;
  }
}

const pick = ({ id, createdAt, subject, body, messageId, attempts, lastError }: OutboxRow): OutboxMessage => ({ id, createdAt, subject, body, messageId, attempts, lastError });

/** The alert book in the fallback file. Each change rewrites it; a file that cannot be
 *  written keeps the book in memory for the run, and says so once. */
export function fileBook(path: string, initial: FallbackFile, warn: (message: string) => void): AlertBook {
  const data = initial;
  let warned = false;
  const save = (): void => {
    const temporary = `${path}.${process.pid}.tmp`;
    try {
      mkdirSync(join(path, '..'), { recursive: true, mode: 0o700 });
      writeFileSync(temporary, JSON.stringify(data), { mode: 0o600 });
      renameSync(temporary, path);
    } catch (error) {
      try {
        rmSync(temporary, { force: true });
      } catch {
        // Nothing was written, or the folder is gone.
      }
      if (!warned) warn(`cannot keep the alert state in ${path} either (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); a later run may mail these alerts again`);
      warned = true;
    }
  };
  const row = (id: number): OutboxRow => data.outbox.find((r) => r.id === id)!;
  const change = (fn: () => void): void => {
    fn();
    save();
  };
  return {
    readState: () => data.state.map((s) => ({ ...s })),
    record: (next, message, now) =>
      change(() => {
        data.state = next.map((s) => ({ ...s }));
        if (message) {
          const id = Math.max(0, ...data.outbox.map((r) => r.id)) + 1;
          data.outbox.push({ id, createdAt: now, subject: message.subject, body: message.body, messageId: message.messageId, attempts: 0, lastError: null, nextAttemptAt: now, deliveryStartedAt: null, transmittedAt: null, unconfirmedAt: null, sentAt: null, response: null });
        }
      }),
    due: (now) => data.outbox.filter((r) => r.sentAt === null && r.transmittedAt === null && r.nextAttemptAt <= now).map(pick),
    waiting: () => data.outbox.filter((r) => r.sentAt === null).length,
    lastSentAt: () => data.outbox.reduce<number | null>((last, r) => (r.sentAt !== null && (last === null || r.sentAt > last) ? r.sentAt : last), null),
    started: (id, now) => change(() => void (row(id).deliveryStartedAt = now)),
    transmitted: (id, now) => change(() => void (row(id).transmittedAt = now)),
    sent: (id, response, now) => change(() => Object.assign(row(id), { sentAt: now, response, attempts: row(id).attempts + 1, lastError: null })),
    failed: (id, error, now) => change(() => Object.assign(row(id), { attempts: row(id).attempts + 1, lastError: error, nextAttemptAt: now + retryDelayMs(row(id).attempts + 1), transmittedAt: null })),
    unconfirmed: (id, error, now) => change(() => Object.assign(row(id), { sentAt: now, unconfirmedAt: now, attempts: row(id).attempts + 1, lastError: error })),
    settleInterrupted(now) {
      const cut = data.outbox.filter((r) => r.sentAt === null && r.transmittedAt !== null).map(pick);
      for (const m of cut) this.unconfirmed(m.id, 'the run was stopped while waiting for the server to confirm it', now);
      return cut;
    },
    forgetOld: (now) =>
      change(() => {
        data.outbox = data.outbox.filter((r) => r.sentAt === null || r.sentAt >= now - 30 * DAY);
      }),
  };
}

/** What the store holds, read as far as it can be (a failing disk may fail reads too). */
function copyOf(db: Db): FallbackFile {
  try {
    return { version: 1, state: readAlertState(db), outbox: readOutbox(db) };
  } catch {
    return { version: 1, state: [], outbox: [] };
  }
}

/**
 * The alert book of a run: the state store while it can be written, else the fallback
 * file. A store in memory (it could not be opened or locked) uses the file from the
 * start; a store whose write fails moves to it there and then, with what the store
 * held. A store that works again first takes back what the file kept.
 */
export function alertBook(db: Db, fallbackPath: string, warn: (message: string) => void): AlertBook {
  const kept = readFallback(fallbackPath);
  if (db.memory) return fileBook(fallbackPath, kept ?? { version: 1, state: [], outbox: [] }, warn);
  if (kept) {
    try {
      importAlerts(db, kept.state, kept.outbox);
    } catch (error) {
      if (!isStorageFailure(error)) throw error;
      return fileBook(fallbackPath, kept, warn);
    }
    try {
      rmSync(fallbackPath, { force: true });
    } catch {
      // Imported again by the next run: rows are matched by their Message-ID.
    }
  }
  let book = storeBook(db);
  let moved = false;
  const guarded =
    <A extends unknown[], R>(op: (b: AlertBook) => (...args: A) => R) =>
    (...args: A): R => {
      try {
        return op(book)(...args);
      } catch (error) {
        if (moved || !isStorageFailure(error)) throw error;
        warn(`cannot write the state store (${(error as { code: string }).code}); alert state kept in ${fallbackPath} until it can`);
        book = fileBook(fallbackPath, copyOf(db), warn);
        moved = true;
        return op(book)(...args);
      }
    };
  return {
    readState: guarded((b) => b.readState),
    record: guarded((b) => b.record),
    due: guarded((b) => b.due),
    waiting: guarded((b) => b.waiting),
    lastSentAt: guarded((b) => b.lastSentAt),
    started: guarded((b) => b.started),
    transmitted: guarded((b) => b.transmitted),
    sent: guarded((b) => b.sent),
    failed: guarded((b) => b.failed),
    unconfirmed: guarded((b) => b.unconfirmed),
    settleInterrupted: guarded((b) => b.settleInterrupted.bind(b)),
    forgetOld: guarded((b) => b.forgetOld),
  };
}
