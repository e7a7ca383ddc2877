// Alert state and the outbox in the state store. A message goes into the outbox before
// any attempt to send it and leaves only as sent: an SMTP server that is down, refuses
// or rejects the login loses nothing, and a sent message is never sent again.
//
// Each attempt is marked before it starts (delivery_started_at) and once the whole
// message has been handed to the server (transmitted_at). An attempt that ends after
// that without the server's answer (a timeout, a dropped connection, a killed run) may
// have delivered it: the message is marked unconfirmed and not sent again.

import type { AlertState, Digest } from '../core/alerts.js';
import { retryDelayMs } from '../core/alerts.js';
import { DAY } from '../core/durations.js';
import type { Db } from './store.js';

export interface OutboxMessage {
  id: number;
  createdAt: number;
  subject: string;
  body: string;
  /** "<...@...>", the same on every attempt. */
  messageId: string;
  attempts: number;
  lastError: string | null;
}

/** A digest as queued: with the Message-ID it keeps on every attempt. */
export interface QueuedDigest extends Digest {
  messageId: string;
}

/** Where alert state and the outbox are kept: the state store, or the fallback file
 *  when the store cannot be written (state/alert-fallback.ts). */
export interface AlertBook {
  readState(): AlertState[];
  /** The next alert state and the message it calls for, together: a message is queued
   *  exactly when the state says it was sent. */
  record(next: AlertState[], message: QueuedDigest | null, now: number): void;
  /** Unsent messages whose next attempt is due, oldest first. */
  due(now: number): OutboxMessage[];
  /** Messages not sent yet, due or not. */
  waiting(): number;
  /** When the last message went out (or may have): the heartbeat counts from there. */
  lastSentAt(): number | null;
  /** Marks an attempt as started, before anything is sent. */
  started(id: number, now: number): void;
  /** The whole message was handed to the server; its answer is awaited. */
  transmitted(id: number, now: number): void;
  sent(id: number, response: string, now: number): void;
  /** Not delivered, for certain: retried with backoff. */
  failed(id: number, error: string, now: number): void;
  /** Perhaps delivered (no answer after the message was transmitted): never sent again. */
  unconfirmed(id: number, error: string, now: number): void;
  /** Messages whose attempt was cut off after transmission (a killed run), now marked
   *  unconfirmed. */
  settleInterrupted(now: number): OutboxMessage[];
  /** Sent messages are kept a month for the record, then dropped. */
  forgetOld(now: number): void;
}

/** Every message of the outbox, as the fallback file keeps them. */
export interface OutboxRow extends OutboxMessage {
  nextAttemptAt: number;
  deliveryStartedAt: number | null;
  transmittedAt: number | null;
  unconfirmedAt: number | null;
  sentAt: number | null;
  response: string | null;
}

const COLUMNS = `id, created_at AS createdAt, subject, body, message_id AS messageId, attempts, last_error AS lastError`;
const ROW_COLUMNS = `${COLUMNS}, next_attempt_at AS nextAttemptAt, delivery_started_at AS deliveryStartedAt, transmitted_at AS transmittedAt, unconfirmed_at AS unconfirmedAt, sent_at AS sentAt, response`;

export function readAlertState(db: Db): AlertState[] {
  return (db.prepare('SELECT key, level, message, last_notified_at AS lastNotifiedAt FROM alert_state').all() as AlertState[]).map((s) => ({ ...s }));
}

function writeAlertState(db: Db, states: AlertState[]): void {
  db.prepare('DELETE FROM alert_state').run();
  const insert = db.prepare('INSERT INTO alert_state VALUES (?, ?, ?, ?)');
  for (const s of states) insert.run(s.key, s.level, s.message, s.lastNotifiedAt);
}

/** The whole outbox, for the fallback file. */
export function readOutbox(db: Db): OutboxRow[] {
  return db.prepare(`SELECT ${ROW_COLUMNS} FROM outbox ORDER BY id`).all() as OutboxRow[];
}

/** Alert state and outbox written while the store could not be: back into the store, in
 *  one transaction. A message already in the store (the same Message-ID) takes the
 *  file's newer delivery state. */
export function importAlerts(db: Db, states: AlertState[], rows: OutboxRow[]): void {
  db.transaction(() => {
    writeAlertState(db, states);
    const update = db.prepare(
      'UPDATE outbox SET attempts = ?, last_error = ?, next_attempt_at = ?, delivery_started_at = ?, transmitted_at = ?, unconfirmed_at = ?, sent_at = ?, response = ? WHERE message_id = ?',
    );
    const insert = db.prepare(
      'INSERT INTO outbox (created_at, subject, body, message_id, attempts, last_error, next_attempt_at, delivery_started_at, transmitted_at, unconfirmed_at, sent_at, response) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    for (const r of rows) {
      const changed = update.run(r.attempts, r.lastError, r.nextAttemptAt, r.deliveryStartedAt, r.transmittedAt, r.unconfirmedAt, r.sentAt, r.response, r.messageId).changes;
      if (changed === 0) insert.run(r.createdAt, r.subject, r.body, r.messageId, r.attempts, r.lastError, r.nextAttemptAt, r.deliveryStartedAt, r.transmittedAt, r.unconfirmedAt, r.sentAt, r.response);
    }
  })();
}

/** The alert book of the state store. */
export function storeBook(db: Db): AlertBook {
  return {
    readState: () => readAlertState(db),
    record(next, message, now) {
      db.transaction(() => {
        writeAlertState(db, next);
        if (message) {
          db.prepare('INSERT INTO outbox (created_at, subject, body, message_id, next_attempt_at) VALUES (?, ?, ?, ?, ?)').run(now, message.subject, message.body, message.messageId, now);
        }
      })();
    },
    due: (now) => db.prepare(`SELECT ${COLUMNS} FROM outbox WHERE sent_at IS NULL AND transmitted_at IS NULL AND next_attempt_at <= ? ORDER BY id`).all(now) as OutboxMessage[],
    waiting: () => (db.prepare('SELECT count(*) AS n FROM outbox WHERE sent_at IS NULL').get() as { n: number }).n,
    lastSentAt: () => (db.prepare('SELECT max(sent_at) AS at FROM outbox').get() as { at: number | null }).at,
    started: (id, now) => void db.prepare('UPDATE outbox SET delivery_started_at = ? WHERE id = ?').run(now, id),
    transmitted: (id, now) => void db.prepare('UPDATE outbox SET transmitted_at = ? WHERE id = ?').run(now, id),
    sent: (id, response, now) => void db.prepare('UPDATE outbox SET sent_at = ?, response = ?, attempts = attempts + 1, last_error = NULL WHERE id = ?').run(now, response, id),
    failed(id, error, now) {
      const { attempts } = db.prepare('SELECT attempts FROM outbox WHERE id = ?').get(id) as { attempts: number };
      db.prepare('UPDATE outbox SET attempts = ?, last_error = ?, next_attempt_at = ?, transmitted_at = NULL WHERE id = ?').run(attempts + 1, error, now + retryDelayMs(attempts + 1), id);
    },
    unconfirmed: (id, error, now) => void db.prepare('UPDATE outbox SET sent_at = ?, unconfirmed_at = ?, attempts = attempts + 1, last_error = ? WHERE id = ?').run(now, now, error, id),
    settleInterrupted(now) {
      const cut = db.prepare(`SELECT ${COLUMNS} FROM outbox WHERE sent_at IS NULL AND transmitted_at IS NOT NULL ORDER BY id`).all() as OutboxMessage[];
      for (const m of cut) this.unconfirmed(m.id, 'the run was stopped while waiting for the server to confirm it', now);
      return cut;
    },
    forgetOld: (now) => void db.prepare('DELETE FROM outbox WHERE sent_at IS NOT NULL AND sent_at < ?').run(now - 30 * DAY),
  };
}

/** Messages not delivered after at least one try: ALERT_DELIVERY_FAILED. */
export function undelivered(db: Db): { count: number; lastError: string | null; oldest: number | null } {
  const row = db.prepare('SELECT count(*) AS count, min(created_at) AS oldest FROM outbox WHERE sent_at IS NULL AND attempts > 0').get() as { count: number; oldest: number | null };
  const last = db.prepare('SELECT last_error AS lastError FROM outbox WHERE sent_at IS NULL AND attempts > 0 ORDER BY id DESC LIMIT 1').get() as { lastError: string | null } | undefined;
  return { count: row.count, oldest: row.oldest, lastError: last?.lastError ?? null };
}
