// Notify: which alert keys changed (core/alerts.ts), the one digest that says so put
// into the outbox with the new alert state in one transaction, then delivery of what
// the outbox holds that is due, with backoff. No email section: nothing to do; the
// run's output and exit code are the alert.

import { hostname } from 'node:os';
import { nodeCrypto } from '../builtins.js';
import type { Action } from '../core/actions.js';
import { composeDigest, decideAlerts, decideUnitFailure, heartbeatDigest, heartbeatDue, testMessage, unitFailureMessage, type Digest, type Notification } from '../core/alerts.js';
import type { Finding } from '../core/model.js';
import type { EmailSettings } from '../core/policy.js';
import { reasonOf } from '../errors.js';
import type { DeliveryError, Mailer } from '../notify/email.js';
import { alertBook, alertFallbackPath } from '../state/alert-fallback.js';
import type { AlertBook, QueuedDigest } from '../state/alerts.js';
import type { Db } from '../state/store.js';
import type { Io } from './io.js';
import type { Run } from './run.js';
import type { HeldStore } from './store.js';

export interface Delivery {
  sent: number;
  failed: string[];
  /** Transmitted, but the server never confirmed: perhaps delivered, not sent again. */
  unconfirmed: string[];
}

/** A Message-ID for a message entering the outbox, kept for every attempt at it. */
const newMessageId = (): string => `<${nodeCrypto().randomUUID()}@${hostname() || 'docker-watchdog'}>`;

const queued = (message: Digest | null): QueuedDigest | null => (message ? { ...message, messageId: newMessageId() } : null);

/** The alert book of a run: the store, or the fallback file on a tmpfs when the store
 *  cannot be written (state/alert-fallback.ts). */
function bookOf(db: Db, statePath: string, env: NodeJS.ProcessEnv, warn: (message: string) => void): AlertBook {
  return alertBook(db, alertFallbackPath(statePath, env), warn);
}

/** The mailer of alerts.email. nodemailer is loaded only here: 450 kB that a run
 *  without an email section never loads. */
async function smtpMailerOf(email: EmailSettings, env: NodeJS.ProcessEnv): Promise<Mailer> {
  const { smtpMailer } = await import('../notify/email.js');
  return smtpMailer(email, env);
}

/**
 * A mailer that cannot be built (an unreadable password file) costs the delivery, not
 * the run: each send fails as building it did, so what is due stays in the outbox (and
 * `report` shows ALERT_DELIVERY_FAILED), and the run says so once.
 */
async function mailerOf(email: EmailSettings, env: NodeJS.ProcessEnv, warn: (message: string) => void): Promise<{ mailer: Mailer; broken: boolean }> {
  try {
    return { mailer: await smtpMailerOf(email, env), broken: false };
  } catch (error) {
    warn(`alert email cannot be sent (${reasonOf(error)}); alerts wait in the outbox`);
    return { mailer: { describe: `${email.host}:${email.port}`, send: () => Promise.reject(error) }, broken: true };
  }
}

/**
 * Sends what is due in the outbox, one message at a time, each marked as in delivery
 * before it starts. A message that fails before it was transmitted, or that the server
 * refused, stays, with backoff. One that was transmitted but never confirmed (the
 * server did not answer the final "." in time, or the connection dropped, or the run
 * was killed while waiting) may have arrived: it is not sent again, and the run says so.
 */
async function flushOutbox(book: AlertBook, mailer: Mailer, now: () => number, warn: (message: string) => void): Promise<Delivery> {
  const delivery: Delivery = { sent: 0, failed: [], unconfirmed: [] };
  for (const cut of book.settleInterrupted(now())) delivery.unconfirmed.push(`${cut.messageId}: the run sending it was stopped before the server confirmed it`);
  for (const message of book.due(now())) {
    book.started(message.id, now());
    try {
      const response = await mailer.send({ subject: message.subject, body: message.body, messageId: message.messageId }, () => book.transmitted(message.id, now()));
      book.sent(message.id, response, now());
      delivery.sent++;
    } catch (error) {
      const e = error as DeliveryError;
      if (e.transmitted && !e.answered) {
        book.unconfirmed(message.id, e.message, now());
        delivery.unconfirmed.push(`${message.messageId}: ${e.message}`);
      } else {
        book.failed(message.id, e.message, now());
        delivery.failed.push(e.message);
      }
      // The server is down, refusing or slow: the rest would fare alike, and wait their turn.
      break;
    }
  }
  book.forgetOld(now());
  for (const failure of delivery.failed) warn(`alert email not delivered, kept in the outbox for a later run: ${failure}`);
  for (const unsure of delivery.unconfirmed) warn(`alert email sent but not confirmed by the server, so not sent again (it may or may not have arrived): ${unsure}`);
  return delivery;
}

export interface Notice {
  /** When the pass that found it all was taken. */
  at: Date;
  /** The engine host's name, for the subject. */
  host: string;
  findings: readonly Finding[];
  actions: Action[];
  /** The biggest offenders and the forecast, as lines for the message. */
  context: string[];
}

/** The alert keys that changed and went into the outbox (the daemon logs them), and
 *  what the delivery of the outbox gave. */
export interface Notified {
  notifications: Notification[];
  delivery: Delivery | null;
}

export async function notify(run: Run, notice: Notice): Promise<Notified> {
  const { email, cooldown, heartbeat } = run.config.alerts;
  if (!email) return { notifications: [], delivery: null };
  const at = notice.at.getTime();
  const host = notice.host || hostname();
  const book = bookOf(run.db, run.statePath, run.io.env, run.warn);
  const { notify: notifications, next } = decideAlerts(book.readState(), notice.findings, at, cooldown);
  const input = { prefix: email.subjectPrefix, host, actions: notice.actions, context: notice.context, now: notice.at };
  let message: Digest | null = null;
  if (notifications.length > 0) message = composeDigest({ ...input, notifications });
  else if (heartbeatDue(heartbeat, book.lastSentAt(), book.waiting(), at)) message = heartbeatDigest(input);
  book.record(next, queued(message), at);
  const { mailer, broken } = await mailerOf(email, run.io.env, run.warn);
  return { notifications, delivery: await flushOutbox(book, mailer, () => run.io.now().getTime(), broken ? () => {} : run.warn) };
}

/** `watchdog alert failure UNIT`: mail that a unit failed, once per cooldown, through
 *  the outbox like any alert. */
export async function notifyUnitFailure(store: HeldStore, now: Date, email: EmailSettings, cooldown: number, unit: string, io: Io, warn: (message: string) => void): Promise<Delivery> {
  const book = bookOf(store.db, store.path, io.env, warn);
  const next = decideUnitFailure(book.readState(), unit, now.getTime(), cooldown);
  if (next) book.record(next, queued(unitFailureMessage(email.subjectPrefix, hostname(), unit, now)), now.getTime());
  const { mailer, broken } = await mailerOf(email, io.env, warn);
  return flushOutbox(book, mailer, () => io.now().getTime(), broken ? () => {} : warn);
}

/** `watchdog alert test`: one message now, straight to the server (not through the
 *  outbox); resolves to where it went and what the server answered. */
export async function sendTestMessage(email: EmailSettings, io: Io): Promise<{ server: string; response: string }> {
  const mailer = await smtpMailerOf(email, io.env);
  const message = testMessage(email.subjectPrefix, hostname(), io.now());
  return { server: mailer.describe, response: await mailer.send({ ...message, messageId: newMessageId() }) };
}
