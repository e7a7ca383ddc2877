// The email notifier: decides which alert keys changed (core/alerts.ts), puts one digest
// into the outbox, then delivers what the outbox holds that is due, with backoff.

import os from 'node:os';
import type { AlertPolicy } from '../config/config.js';
import { composeDigest, decideAlerts, headerSafe } from '../core/alerts.js';
import { dueMessages, enqueue, forgetOldSent, lastSentAt, markFailed, markSent, readAlertState, writeAlertState } from '../state/alerts.js';
import type { Db } from '../state/store.js';
import type { Mailer } from './email.js';
import type { CheckOutcome, Notifier } from './notifier.js';

export interface Delivery {
  sent: number;
  failed: string[];
}

/** Sends what is due in the outbox; a message that fails stays, with backoff. */
export async function flushOutbox(db: Db, mailer: Mailer, now: () => number): Promise<Delivery> {
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
  return delivery;
}

export function alertingNotifier(db: Db, policy: AlertPolicy, mailer: Mailer, prefix: string, warn: (message: string) => void, now: () => number): Notifier {
  return {
    async notify(outcome: CheckOutcome) {
      const at = outcome.at.getTime();
      const { notify, next } = decideAlerts(readAlertState(db), outcome.findings, at, policy.cooldownMs);
      writeAlertState(db, next);
      const host = outcome.host || os.hostname();
      if (notify.length > 0) {
        const digest = composeDigest({ prefix, host, notifications: notify, actions: outcome.actions, context: outcome.context, now: outcome.at });
        enqueue(db, digest.subject, digest.body, at);
      } else if (policy.heartbeatMs !== null && at - (lastSentAt(db) ?? 0) >= policy.heartbeatMs && dueMessages(db, Number.MAX_SAFE_INTEGER).length === 0) {
        // Silence must mean "all is well", not "the watchdog stopped".
        const quiet = composeDigest({ prefix, host, notifications: [], actions: outcome.actions, context: outcome.context, now: outcome.at });
        enqueue(db, headerSafe(`${prefix} OK ${host}: all quiet (heartbeat)`), quiet.body, at);
      }
      const delivery = await flushOutbox(db, mailer, now);
      for (const failure of delivery.failed) warn(`alert email not delivered, kept in the outbox for a later run: ${failure}`);
    },
  };
}
