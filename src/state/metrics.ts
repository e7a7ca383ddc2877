// What the metrics read from the store besides the report (issue #12): the journal's
// action counts (the counters), the alerts not delivered, when the last full pass ran,
// and the exposition of the last recorded run, which `watchdog metrics` prints.

import type { ActionCount, StoreFacts } from '../core/metrics.js';
import { undelivered } from './alerts.js';
import { readMeta, writeMeta, type Db } from './store.js';

export type StoreMetrics = StoreFacts;

/** The journal is never thinned, so its counts only grow: a counter for as long as the
 *  store lives. Dry runs and the reasons a prune by hand kept a container are no action. */
function actionCounts(db: Db): ActionCount[] {
  return db.prepare("SELECT action, outcome, count(*) AS count FROM journal WHERE outcome != 'dry-run' AND action != 'keep' GROUP BY action, outcome").all() as ActionCount[];
}

/** Null for a store held in memory (the file could not be opened or locked): it knows
 *  nothing of the runs before, and its zeros would read as a counter reset. */
export function storeMetrics(db: Db): StoreMetrics | null {
  if (db.memory) return null;
  return { lastFullPassAt: readMeta(db, 'lastFullPassAt'), actions: actionCounts(db), undeliveredAlerts: undelivered(db).count };
}

export const recordFullPass = (db: Db, at: Date): void => writeMeta(db, 'lastFullPassAt', at.toISOString());
export const readExposition = (db: Db): string | null => readMeta(db, 'exposition');
export const recordExposition = (db: Db, text: string): void => writeMeta(db, 'exposition', text);
