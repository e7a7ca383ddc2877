// Where a check pass hands what it found and did, for alerting: email (alerting.ts) when
// alerts.email is configured; otherwise the check's own output and exit code are the
// alert.

import type { Finding } from '../core/model.js';

export interface Action {
  action: 'rotate' | 'prune' | 'hold';
  target: string;
  outcome: string;
  message: string;
  bytesFreed: number | null;
  /** Something an operator has not been told yet: every action, and a hold only when
   *  its forensic bundle was just written. */
  news: boolean;
}

export interface CheckOutcome {
  at: Date;
  /** The engine host's name, for the subject. */
  host: string;
  findings: Finding[];
  actions: Action[];
  /** The biggest offenders and the forecast, as lines for the message. */
  context: string[];
}

export interface Notifier {
  notify(outcome: CheckOutcome): Promise<void>;
}

/** Alerts nobody: the check's output and exit code say it all. */
export const noNotifier: Notifier = { notify: async () => {} };
