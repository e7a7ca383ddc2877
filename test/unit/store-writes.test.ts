// Writing into the state store (pipeline/store-writes.ts): a journal entry of an action
// already done is never lost, even when the store turns out damaged as it is written.

import { describe, expect, it } from 'vitest';
import { journal } from '../../src/pipeline/store-writes.js';
import type { Run } from '../../src/pipeline/run.js';
import type { JournalEntry } from '../../src/state/journal.js';

const entry: JournalEntry = { at: '2026-11-28T12:00:00.000Z', action: 'prune', target: 'web', containerId: 'c1', reason: 'exited 2h ago', outcome: 'done', bytesFreed: 4096, details: 'removed' };

/** A run whose store fails every statement with `code`. */
function runWith(code: string) {
  const warnings: string[] = [];
  const db = {
    memory: false,
    prepare: () => {
      throw Object.assign(new Error('database disk image is malformed'), { code });
    },
  };
  const run = { db, storeProblems: [], warn: (message: string) => warnings.push(message) } as unknown as Run;
  return { run, warnings };
}

describe('journal', () => {
  it('puts the entry on stderr, then ends the run, when the store turns out damaged', () => {
    const { run, warnings } = runWith('SQLITE_CORRUPT');
    expect(() => journal(run, entry)).toThrow(expect.objectContaining({ code: 'SQLITE_CORRUPT' }));
    expect(warnings).toEqual([`journal: ${JSON.stringify(entry)}`]);
  });

  it('puts the entry on stderr, and goes on, when the disk is full', () => {
    const { run, warnings } = runWith('SQLITE_FULL');
    journal(run, entry);
    expect(warnings).toEqual(['cannot write the journal (its entries go to this output instead) into the state store (SQLITE_FULL)', `journal: ${JSON.stringify(entry)}`]);
  });
});
