// The unit tests' temporary folders (mkdtemp under os.tmpdir(): a state store or a log
// folder per test) go in one folder of this run, removed at its end. Each test removing
// its own would be many small edits to forget; before this, a few days of runs had left
// about 700 wd-* folders in /tmp.
//
// The folder reaches the unit tests' workers as their TMPDIR, which os.tmpdir() reads,
// through the unit project's `env` (vitest.config.ts): setting process.env here would
// also reach the integration tests' workers, which run the watchdog as the user nobody
// in folders of theirs, and nobody cannot enter a folder below a 0700 one (seen on
// 2026-12-01: their TMPDIR was this folder). This module is loaded by the
// config and as the project's global setup, both in vitest's main process: one name.

import { lstatSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const UNIT_TMPDIR = join(tmpdir(), `wdt-unit-${process.pid}`);

export function setup(): () => void {
  try {
    mkdirSync(UNIT_TMPDIR, { mode: 0o700 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    // A name others can guess, in a folder anyone may write: only a folder of this
    // user's own (a killed run's, its pid used again) is taken over.
    const found = lstatSync(UNIT_TMPDIR);
    if (!found.isDirectory() || found.uid !== process.getuid?.()) throw new Error(`${UNIT_TMPDIR} exists and is not a folder of this user's: remove it and run the tests again.`);
    rmSync(UNIT_TMPDIR, { recursive: true, force: true });
    mkdirSync(UNIT_TMPDIR, { mode: 0o700 });
  }
  return () => rmSync(UNIT_TMPDIR, { recursive: true, force: true });
}
