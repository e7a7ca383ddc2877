// The world a command may touch besides the engine and the store: passed in, so that
// tests run commands in-process with their own streams, environment and clock.

import { once } from 'node:events';
import type { InFlight } from '../act/in-flight.js';
import { jsonPieces } from '../core/render/json.js';

export interface Io {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  now: () => Date;
  /** Whether stdout is a terminal: a person reads it. */
  stdoutIsTerminal: boolean;
  /** Whether stderr is a terminal: the progress line of a long scan goes there. */
  stderrIsTerminal: boolean;
  /** Whether stdout is a terminal that wants colour (NO_COLOR, TERM=dumb say no). */
  colorCapable: boolean;
  /** What must be undone if the process is stopped mid-action (main.ts). */
  inFlight: InFlight;
  /** SIGHUP (main.ts): the daemon reloads its configuration. */
  onHangup?(handler: () => void): void;
  /** A full garbage collection now (main.ts): a long scan calls it as it goes, so that
   *  its peak memory stays that of what it keeps (issue #14). */
  collectGarbage?(): void;
}

/** JSON on stdout: indented for a person at a terminal, compact for the scripts that
 *  read it (a thousand containers make a megabyte of indentation). Written about 64 kB
 *  at a time as the reader takes it, never whole (core/render/json.ts): into a pipe, writes
 *  that do not wait are queued in memory, and `report --json | ...` at 10,000
 *  containers peaked 28 MB above `report` (issue #14). */
export async function writeJson(io: Io, value: unknown): Promise<void> {
  let pending = '';
  for (const piece of jsonPieces(value, io.stdoutIsTerminal ? 2 : 0)) {
    pending += piece;
    if (pending.length < 65536) continue;
    // A reader that goes away ends the process (EPIPE, main.ts), not this wait.
    if (!io.stdout.write(pending)) await once(io.stdout, 'drain');
    pending = '';
  }
  io.stdout.write(`${pending}\n`);
}

/** What a command prints when its run is over. */
export type Output = { json: unknown } | { text: string };

/** Prints a command's output once its run has closed the store and released its lock:
 *  writeJson waits for its reader, and `report --json | less` must not keep a timer's
 *  `check` waiting for the lock meanwhile. */
export async function printOutput(io: Io, output: Output): Promise<void> {
  if ('json' in output) await writeJson(io, output.json);
  else io.stdout.write(output.text);
}

/** One line on stderr: what went wrong that the run survived. */
export function warner(io: Io): (message: string) => void {
  return (message) => io.stderr.write(`watchdog: warning: ${message}\n`);
}
