// The unit tests' temporary folders (mkdtemp under os.tmpdir(): a state store or a log
// folder per test) go in one folder of this run, removed at its end. Each test removing
// its own would be many small edits to forget; before this, a few days of runs had left
// about 700 wd-* folders in /tmp.
//
// The folder reaches the unit tests' workers as their TMPDIR, which os.tmpdir() reads,
// through the unit project's `env` (vitest.config.ts): setting process.env here would
// also reach the integration tests' workers, which run the watchdog as nobody in
// folders that nobody may not enter below a 0700 one. This module is loaded by the
// config and as the project's global setup, both in vitest's main process: one name.

import { mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const UNIT_TMPDIR = join(tmpdir(), `wdt-unit-${process.pid}`);

export function setup(): () => void {
  mkdirSync(UNIT_TMPDIR, { recursive: true, mode: 0o700 });
  return () => rmSync(UNIT_TMPDIR, { recursive: true, force: true });
}
