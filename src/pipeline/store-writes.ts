// Writing into the state store without ever failing the run for it (issue #9). A store
// that cannot be written (a full disk, a read-only mount) costs what was to be written,
// said once per run and reported as STATE_UNAVAILABLE; a journal entry is not lost even
// then: it goes whole to stderr, which the service log keeps.

import { appendJournal, type JournalEntry } from '../state/journal.js';
import { isStorageFailure } from '../state/store.js';
import type { Run } from './run.js';

/** Notes a problem with the store once per run, and says it. */
export function storeProblem(run: Run, problem: string): void {
  if (run.storeProblems.includes(problem)) return;
  run.storeProblems.push(problem);
  run.warn(problem);
}

/** Runs `write`; one that fails for the disk's sake costs `what` (a cache, the journal),
 *  never the run. Any other error is not swallowed: a damaged store ends the run, which
 *  moves it aside (pipeline/store.ts), and anything else is a bug. */
export function storeWrite(run: Run, what: string, write: () => void): boolean {
  try {
    write();
    return true;
  } catch (error) {
    if (!isStorageFailure(error)) throw error;
    storeProblem(run, `cannot write ${what} into the state store (${(error as { code: string }).code})`);
    return false;
  }
}

/** Journals an action as it completes. */
export function journal(run: Run, entry: JournalEntry): void {
  let written: boolean;
  try {
    written = storeWrite(run, 'the journal (its entries go to this output instead)', () => appendJournal(run.db, entry));
  } catch (error) {
    // A damaged store ends the run (pipeline/store.ts); what was done is not lost.
    run.warn(`journal: ${JSON.stringify(entry)}`);
    throw error;
  }
  // A store held in memory (it could not be opened or locked) takes the entry, and
  // forgets it when the run ends: it goes to the output as well.
  if (!written || run.db.memory) run.warn(`journal: ${JSON.stringify(entry)}`);
}
