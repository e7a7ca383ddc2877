// Where a check pass hands what it found and did, for alerting. Email (issue #5) will be
// one implementation; until then the check's own output and exit code are the alert.

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
  findings: Finding[];
  actions: Action[];
}

export interface Notifier {
  notify(outcome: CheckOutcome): Promise<void>;
}

/** Alerts nobody: the check's output and exit code say it all. */
export const noNotifier: Notifier = { notify: async () => {} };
