// Notify: which alert keys changed (core/alerts.ts), the one digest that says so put
// into the outbox with the new alert state in one transaction, then delivery of what
// the outbox holds that is due, with backoff. No email section: nothing to do; the
// run's output and exit code are the alert.

import { hostname } from 'node:os';
import type { Action } from '../core/actions.js';
import { composeDigest, decideAlerts, decideUnitFailure, heartbeatDigest, heartbeatDue, testMessage, unitFailureMessage, type Digest } from '../core/alerts.js';
import type { Finding } from '../core/model.js';
import type { EmailSettings } from '../core/policy.js';
import type { Mailer } from '../notify/email.js';
import { dueMessages, forgetOldSent, lastSentAt, markFailed, markSent, readAlertState, recordAlerts } from '../state/alerts.js';
import type { Db } from '../state/store.js';
import type { Io } from './io.js';
import type { Run } from './run.js';

export interface Delivery {
  sent: number;
  failed: string[];
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
    warn(`alert email cannot be sent (${(error as Error).message.replace(/\.$/, '')}); alerts wait in the outbox`);
    return { mailer: { describe: `${email.host}:${email.port}`, send: () => Promise.reject(error) }, broken: true };
  }
}

/** Sends what is due in the outbox; a message that fails stays, with backoff. */
async function flushOutbox(db: Db, mailer: Mailer, now: () => number, warn: (message: string) => void): Promise<Delivery> {
  const delivery: Delivery = { sent: 0, failed: [] };
  for (const message of dueMessages(db, now())) {
    try {
      const response = await mailer.send(message.subject, message.body);
      markSent(db, message.id, response, now());
      delivery.sent++;
    } catch (error) {
      markFailed(db, message.id, (error as Error).message, now());
      delivery.failed.push((error as Error).message);
      // The server is down or refusing: the rest would fail alike, and wait their turn.
      break;
    }
  }
  forgetOldSent(db, now());
  for (const failure of delivery.failed) warn(`alert email not delivered, kept in the outbox for a later run: ${failure}`);
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

export async function notify(run: Run, notice: Notice): Promise<void> {
  const { email, cooldown, heartbeat } = run.config.alerts;
  if (!email) return;
  const at = notice.at.getTime();
  const host = notice.host || hostname();
  const { notify: notifications, next } = decideAlerts(readAlertState(run.db), notice.findings, at, cooldown);
  const input = { prefix: email.subjectPrefix, host, actions: notice.actions, context: notice.context, now: notice.at };
  let message: Digest | null = null;
  if (notifications.length > 0) message = composeDigest({ ...input, notifications });
  else if (heartbeatDue(heartbeat, lastSentAt(run.db), dueMessages(run.db, Number.MAX_SAFE_INTEGER).length, at)) message = heartbeatDigest(input);
  recordAlerts(run.db, next, message, at);
  const { mailer, broken } = await mailerOf(email, run.io.env, run.warn);
  await flushOutbox(run.db, mailer, () => run.io.now().getTime(), broken ? () => {} : run.warn);
}

/** `watchdog alert failure UNIT`: mail that a unit failed, once per cooldown, through
 *  the outbox like any alert. */
export async function notifyUnitFailure(db: Db, now: Date, email: EmailSettings, cooldown: number, unit: string, io: Io, warn: (message: string) => void): Promise<Delivery> {
  const next = decideUnitFailure(readAlertState(db), unit, now.getTime(), cooldown);
  if (next) recordAlerts(db, next, unitFailureMessage(email.subjectPrefix, hostname(), unit, now), now.getTime());
  const { mailer, broken } = await mailerOf(email, io.env, warn);
  return flushOutbox(db, mailer, () => io.now().getTime(), broken ? () => {} : warn);
}

/** `watchdog alert test`: one message now, straight to the server (not through the
 *  outbox); resolves to where it went and what the server answered. */
export async function sendTestMessage(email: EmailSettings, io: Io): Promise<{ server: string; response: string }> {
  const mailer = await smtpMailerOf(email, io.env);
  const message = testMessage(email.subjectPrefix, hostname(), io.now());
  return { server: mailer.describe, response: await mailer.send(message.subject, message.body) };
}
