// The world a command may touch besides the engine and the store: passed in, so that
// tests run commands in-process with their own streams, environment and clock.

import type { InFlight } from '../act/in-flight.js';

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
}

/** JSON on stdout: indented for a person at a terminal, compact for the scripts that
 *  read it (a thousand containers make a megabyte of indentation). */
export function writeJson(io: Io, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value, null, io.stdoutIsTerminal ? 2 : undefined)}\n`);
}

/** One line on stderr: what went wrong that the run survived. */
export function warner(io: Io): (message: string) => void {
  return (message) => io.stderr.write(`watchdog: warning: ${message}\n`);
}
