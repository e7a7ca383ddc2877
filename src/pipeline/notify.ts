// Notify: which alert keys changed (core/alerts.ts), the one digest that says so put
// into the outbox with the new alert state in one transaction, then delivery of what
// the outbox holds that is due, with backoff. No email section: nothing to do; the
// run's output and exit code are the alert.

import { hostname } from 'node:os';
import type { Action } from '../core/actions.js';
import { composeDigest, decideAlerts, decideUnitFailure, heartbeatDigest, heartbeatDue, testMessage, unitFailureMessage, type Digest } from '../core/alerts.js';
import type { Finding } from '../core/model.js';
import type { EmailSettings } from '../core/policy.js';
import { smtpMailer, type Mailer } from '../notify/email.js';
import { dueMessages, forgetOldSent, lastSentAt, markFailed, markSent, readAlertState, recordAlerts } from '../state/alerts.js';
import type { Db } from '../state/store.js';
import type { Io } from './io.js';
import type { Run } from './run.js';

export interface Delivery {
  sent: number;
  failed: string[];
}

/** A mailer whose every send fails as building it did (an unreadable password file):
 *  the message stays in the outbox, and `report` shows ALERT_DELIVERY_FAILED. */
function mailerOf(email: EmailSettings, env: NodeJS.ProcessEnv): Mailer {
  try {
    return smtpMailer(email, env);
  } catch (error) {
    return { describe: `${email.host}:${email.port}`, send: () => Promise.reject(error) };
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
  const at = run.now.getTime();
  const host = notice.host || hostname();
  const { notify: notifications, next } = decideAlerts(readAlertState(run.db), notice.findings, at, cooldown);
  const input = { prefix: email.subjectPrefix, host, actions: notice.actions, context: notice.context, now: run.now };
  let message: Digest | null = null;
  if (notifications.length > 0) message = composeDigest({ ...input, notifications });
  else if (heartbeatDue(heartbeat, lastSentAt(run.db), dueMessages(run.db, Number.MAX_SAFE_INTEGER).length, at)) message = heartbeatDigest(input);
  recordAlerts(run.db, next, message, at);
  await flushOutbox(run.db, mailerOf(email, run.io.env), () => run.io.now().getTime(), run.warn);
}

/** `watchdog alert failure UNIT`: mail that a unit failed, once per cooldown, through
 *  the outbox like any alert. */
export async function notifyUnitFailure(db: Db, now: Date, email: EmailSettings, cooldown: number, unit: string, io: Io, warn: (message: string) => void): Promise<Delivery> {
  const next = decideUnitFailure(readAlertState(db), unit, now.getTime(), cooldown);
  if (next) recordAlerts(db, next, unitFailureMessage(email.subjectPrefix, hostname(), unit, now), now.getTime());
  return flushOutbox(db, mailerOf(email, io.env), () => io.now().getTime(), warn);
}

/** `watchdog alert test`: one message now, straight to the server (not through the
 *  outbox); resolves to where it went and what the server answered. */
export async function sendTestMessage(email: EmailSettings, io: Io): Promise<{ server: string; response: string }> {
  const mailer = smtpMailer(email, io.env);
  const message = testMessage(email.subjectPrefix, hostname(), io.now());
  return { server: mailer.describe, response: await mailer.send(message.subject, message.body) };
}
