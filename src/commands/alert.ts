// `watchdog alert test` (send a test message now, say what the server answered) and
// `watchdog alert failure UNIT` (for systemd's OnFailure=: mail that the check itself
// failed, through the outbox like any alert).

import os from 'node:os';
import { loadConfig, type Config } from '../config/config.js';
import { headerSafe } from '../core/alerts.js';
import { ConfigError, WatchdogError } from '../errors.js';
import { flushOutbox } from '../notify/alerting.js';
import { smtpMailer } from '../notify/email.js';
import { enqueue, readAlertState, writeAlertState } from '../state/alerts.js';
import { warner, withLockedStore, type StateOptions } from '../state/index.js';
import type { Io } from './io.js';

export interface AlertOptions extends StateOptions {
  config?: string;
}

function emailOf(config: Config) {
  if (!config.alerts.email) throw new ConfigError('alerts.email is not configured; see the README, "Email alerts".');
  return config.alerts.email;
}

export async function alertTestCommand(options: AlertOptions, io: Io): Promise<number> {
  const email = emailOf(await loadConfig(options.config));
  const mailer = smtpMailer(email, io.env);
  const host = os.hostname();
  try {
    const response = await mailer.send(headerSafe(`${email.subjectPrefix} TEST ${host}: alert email works`), `A test message from docker-watchdog on ${host}, ${io.now().toISOString()}.\n`);
    io.stdout.write(`sent to ${email.to.join(', ')} through ${mailer.describe}; the server answered: ${response}\n`);
    return 0;
  } catch (error) {
    throw new WatchdogError(`${(error as Error).message}.`, 1);
  }
}

export async function alertFailureCommand(unit: string, options: AlertOptions, io: Io): Promise<number> {
  const config = await loadConfig(options.config);
  const email = emailOf(config);
  const mailer = smtpMailer(email, io.env);
  const host = os.hostname();
  return withLockedStore(options, io, async ({ db }, now) => {
    // A unit that fails every 5 minutes (an engine that is down) is mailed once per
    // cooldown, like any alert that keeps firing.
    const key = `unit:${unit}`;
    const states = readAlertState(db);
    const last = states.find((s) => s.key === key)?.lastNotifiedAt ?? null;
    if (last === null || now.getTime() - last >= config.alerts.cooldownMs) {
      const subject = headerSafe(`${email.subjectPrefix} CRITICAL ${host}: ${unit} failed`);
      const body = `docker-watchdog on ${host}, ${now.toISOString()}\n\nThe unit ${unit} failed: the watchdog itself did not complete its check.\nSee: systemctl status ${unit}; journalctl -u ${unit}\n`;
      enqueue(db, subject, body, now.getTime());
      writeAlertState(db, [...states.filter((s) => s.key !== key), { key, level: 'critical', message: `${unit} failed`, lastNotifiedAt: now.getTime() }]);
    }
    const delivery = await flushOutbox(db, mailer, () => io.now().getTime());
    for (const failure of delivery.failed) warner(io)(`alert email not delivered, kept in the outbox for a later run: ${failure}`);
    return delivery.failed.length > 0 ? 1 : 0;
  });
}
