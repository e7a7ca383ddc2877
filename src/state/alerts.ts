// Alert state and the outbox in the state store. A message goes into the outbox before
// any attempt to send it and leaves only as sent: an SMTP server that is down, refuses
// or rejects the login loses nothing, and a sent message is never sent again.

import type { AlertState, Digest } from '../core/alerts.js';
import { retryDelayMs } from '../core/alerts.js';
import { DAY } from '../core/durations.js';
import type { Db } from './store.js';

export function readAlertState(db: Db): AlertState[] {
  return (db.prepare('SELECT key, level, message, last_notified_at AS lastNotifiedAt FROM alert_state').all() as AlertState[]).map((s) => ({ ...s }));
}

function writeAlertState(db: Db, states: AlertState[]): void {
  db.transaction(() => {
    db.prepare('DELETE FROM alert_state').run();
    const insert = db.prepare('INSERT INTO alert_state VALUES (?, ?, ?, ?)');
    for (const s of states) insert.run(s.key, s.level, s.message, s.lastNotifiedAt);
  })();
}

export interface OutboxMessage {
  id: number;
  createdAt: number;
  subject: string;
  body: string;
  attempts: number;
  lastError: string | null;
}

function enqueue(db: Db, message: Digest, now: number): number {
  return Number(db.prepare('INSERT INTO outbox (created_at, subject, body, next_attempt_at) VALUES (?, ?, ?, ?)').run(now, message.subject, message.body, now).lastInsertRowid);
}

/** The next alert state and the message it calls for, in one transaction: a message is
 *  queued exactly when the state says it was sent. */
export function recordAlerts(db: Db, next: AlertState[], message: Digest | null, now: number): void {
  db.transaction(() => {
    writeAlertState(db, next);
    if (message) enqueue(db, message, now);
  })();
}

/** Unsent messages whose next attempt is due, oldest first. */
export function dueMessages(db: Db, now: number): OutboxMessage[] {
  return db
    .prepare('SELECT id, created_at AS createdAt, subject, body, attempts, last_error AS lastError FROM outbox WHERE sent_at IS NULL AND next_attempt_at <= ? ORDER BY id')
    .all(now) as OutboxMessage[];
}

export function markSent(db: Db, id: number, response: string, now: number): void {
  db.prepare('UPDATE outbox SET sent_at = ?, response = ?, attempts = attempts + 1, last_error = NULL WHERE id = ?').run(now, response, id);
}

export function markFailed(db: Db, id: number, error: string, now: number): void {
  const { attempts } = db.prepare('SELECT attempts FROM outbox WHERE id = ?').get(id) as { attempts: number };
  db.prepare('UPDATE outbox SET attempts = ?, last_error = ?, next_attempt_at = ? WHERE id = ?').run(attempts + 1, error, now + retryDelayMs(attempts + 1), id);
}

/** Messages not delivered after at least one try: ALERT_DELIVERY_FAILED. */
export function undelivered(db: Db): { count: number; lastError: string | null; oldest: number | null } {
  const row = db.prepare('SELECT count(*) AS count, min(created_at) AS oldest FROM outbox WHERE sent_at IS NULL AND attempts > 0').get() as { count: number; oldest: number | null };
  const last = db.prepare('SELECT last_error AS lastError FROM outbox WHERE sent_at IS NULL AND attempts > 0 ORDER BY id DESC LIMIT 1').get() as { lastError: string | null } | undefined;
  return { count: row.count, oldest: row.oldest, lastError: last?.lastError ?? null };
}

/** When the last message went out: the heartbeat counts from there. */
export function lastSentAt(db: Db): number | null {
  return (db.prepare('SELECT max(sent_at) AS at FROM outbox').get() as { at: number | null }).at;
}

/** Sent messages are kept a month for the record, then dropped. */
export function forgetOldSent(db: Db, now: number): void {
  db.prepare('DELETE FROM outbox WHERE sent_at IS NOT NULL AND sent_at < ?').run(now - 30 * DAY);
}
