// `watchdog alert test` (send a test message now, say what the server answered) and
// `watchdog alert failure UNIT` (for systemd's OnFailure=: mail that the check itself
// failed, through the outbox like any alert).

import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import type { Finding } from '../core/model.js';
import { DONE, type Outcome } from '../core/outcome.js';
import { ConfigError } from '../errors.js';
import { warner, type Io } from '../pipeline/io.js';
import { notifyUnitFailure, sendTestMessage } from '../pipeline/notify.js';
import { withStore, type StoreOptions } from '../pipeline/store.js';

export interface AlertOptions extends StoreOptions {
  config?: string;
}

function emailOf(config: Config) {
  if (!config.alerts.email) throw new ConfigError('alerts.email is not configured; see the README, "Email alerts".');
  return config.alerts.email;
}

const notDelivered = (message: string): Outcome => ({ findings: [{ code: 'ALERT_DELIVERY_FAILED', severity: 'warning', message } satisfies Finding] });

export async function alertTestCommand(options: AlertOptions, io: Io): Promise<Outcome> {
  const email = emailOf(await loadConfig(options.config, io.env, true));
  try {
    const { server, response } = await sendTestMessage(email, io);
    io.stdout.write(`sent to ${email.to.join(', ')} through ${server}; the server answered: ${response}\n`);
    return DONE;
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    io.stderr.write(`watchdog: ${(error as Error).message}.\n`);
    return notDelivered((error as Error).message);
  }
}

export async function alertFailureCommand(unit: string, options: AlertOptions, io: Io): Promise<Outcome> {
  const config = await loadConfig(options.config, io.env, true);
  const email = emailOf(config);
  return withStore(options, io, async (store, now) => {
    const delivery = await notifyUnitFailure(store, now, email, config.alerts.cooldown, unit, io, warner(io));
    return delivery.failed.length > 0 ? notDelivered(delivery.failed[0]!) : DONE;
  });
}
