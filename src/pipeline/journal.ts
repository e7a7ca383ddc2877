// Journalling each action as it completes (issue #9). A store that cannot be written (a
// full disk, a read-only mount) costs the entry its place in the store, never the
// entry: it goes whole to stderr, which the service log keeps, and the run reports
// STATE_UNAVAILABLE.

import { appendJournal, type JournalEntry } from '../state/journal.js';
import { isStorageFailure } from '../state/store.js';
import type { Run } from './run.js';

/** Notes a problem with the store once per run, and says it. */
export function storeProblem(run: Run, problem: string): void {
  if (run.storeProblems.includes(problem)) return;
  run.storeProblems.push(problem);
  run.warn(problem);
}

export function journal(run: Run, entry: JournalEntry): void {
  // A store held in memory (it could not be opened or locked) takes the entry, and
  // forgets it when the run ends: it goes to the output as well.
  if (run.db.memory) run.warn(`journal: ${JSON.stringify(entry)}`);
  try {
    appendJournal(run.db, entry);
  } catch (error) {
    if (!isStorageFailure(error)) throw error;
    storeProblem(run, `cannot write the journal into the state store (${(error as { code: string }).code}); its entries go to this output instead`);
    run.warn(`journal: ${JSON.stringify(entry)}`);
  }
}
