// `watchdog journal`: what the watchdog did, from the state store.

import ms from 'ms';
import prettyBytes from 'pretty-bytes';
import { table } from '../core/render.js';
import { UsageError } from '../errors.js';
import { withStoreReadonly, type StateOptions } from '../state/index.js';
import { readJournal } from '../state/journal.js';
import type { Io } from './io.js';

export interface JournalOptions extends StateOptions {
  since: string;
  json: boolean;
}

export function journalCommand(options: JournalOptions, io: Io): number {
  const span = ms(options.since as ms.StringValue) as number | undefined;
  if (typeof span !== 'number' || !(span > 0)) throw new UsageError(`--since "${options.since}" is not a duration; write e.g. 7d, 12h or 30m.`);
  const now = io.now();
  const found = withStoreReadonly(options, io, (db, path) => ({ path, entries: db ? readJournal(db, now.getTime() - span) : null }));
  if (found.entries === null) {
    io.stdout.write(options.json ? `${JSON.stringify({ since: new Date(now.getTime() - span).toISOString(), entries: [] })}\n` : `No state store at ${found.path} yet: nothing has run with it (see --state).\n`);
    return 0;
  }
  const entries = found.entries;

  if (options.json) {
    io.stdout.write(`${JSON.stringify({ since: new Date(now.getTime() - span).toISOString(), entries }, null, 2)}\n`);
  } else if (entries.length === 0) {
    io.stdout.write(`No actions in the last ${options.since}.\n`);
  } else {
    const rows = [['TIME', 'ACTION', 'TARGET', 'OUTCOME', 'FREED', 'REASON']];
    for (const e of entries) rows.push([e.at, e.action, e.target, e.outcome, e.bytesFreed === null ? '-' : prettyBytes(e.bytesFreed), e.reason]);
    io.stdout.write(`${table(rows, ['l', 'l', 'l', 'l', 'r', 'l'], '').join('\n')}\n`);
  }
  return 0;
}
