// `watchdog journal`: what the watchdog did, from the state store (read only).

import { DURATION_HINT, parseDuration } from '../core/durations.js';
import { DONE, type Outcome } from '../core/outcome.js';
import { renderJournal } from '../core/render/actions.js';
import { UsageError } from '../errors.js';
import { writeJson, type Io } from '../pipeline/io.js';
import { withStoreReadonly, type StoreOptions } from '../pipeline/store.js';
import { readJournal } from '../state/journal.js';

export interface JournalOptions extends StoreOptions {
  since: string;
  json: boolean;
}

export async function journalCommand(options: JournalOptions, io: Io): Promise<Outcome> {
  const span = parseDuration(options.since);
  if (span === null || span === 0) throw new UsageError(`--since "${options.since}" is not a duration; ${DURATION_HINT}.`);
  const since = new Date(io.now().getTime() - span);
  const found = withStoreReadonly(options, io, (db, path) => ({ path, entries: db ? readJournal(db, since.getTime()) : null }));

  if (options.json) await writeJson(io, { since: since.toISOString(), entries: found.entries ?? [] });
  else if (found.entries === null) io.stdout.write(`No state store at ${found.path} yet: nothing has run with it (see --state).\n`);
  else io.stdout.write(renderJournal(found.entries, options.since));
  return DONE;
}
