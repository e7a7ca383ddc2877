#!/usr/bin/env node
// The bin entry, and the one exit path: every run ends in an Outcome (or an error that
// says which failure it is), and exitCodeOf turns that into the exit code. Signals are
// handled here too: whatever an action registered as in flight (a container frozen for
// the last copy of its log) is undone before the process ends.

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { inFlightRegistry } from './act/in-flight.js';
import { runCli } from './cli.js';
import { exitCodeOf, type Outcome } from './core/outcome.js';
import { WatchdogError } from './errors.js';
import type { Io } from './pipeline/io.js';

// V8 doubles its young generation whenever a scavenge sees much survive, up to 3 x 16
// MB, and that memory is not given back: reading the facts of thousands of exited
// containers is just such a burst. Kept at its first size (issue #14), a warm report
// at 3,000 exited containers peaked at 99 MB instead of 127 MB, in the same time; a
// cold scan of 5,000 at 125 MB instead of 157 MB, and 4 % slower (more scavenges). Set
// before any command's work; the flag is V8's own (Node.js 20 to 24), read at runtime
// (unlike --max-semi-space-size, which only the command line sets).
setFlagsFromString('--semi-space-growth-factor=1');

// V8 collects its old generation only once that has grown well past what it held, and
// a cold scan's inspect responses (and their socket buffers) outlive the young
// generation: at 3,500 exited containers 30 MB of heap held 11 MB of live objects, and
// the run peaked at 99 MB. A scan collects every 500 inspects or files read
// (collectContainers: 83 MB there, in the same time), and a run of 2,000 containers or
// more between its steps (settleMemory). At 10,000 a cold scan then peaked at 97-99
// MB, against 114-145 MB; later runs by hand on a slower day peaked at 99-103 MB, df's
// answer the largest part of the peak (issue #14, README's Scaling). --expose-gc set
// now gives a new context its gc(); the global one is left alone. The context is made
// at the first collection: making it took 0.63-0.69 ms (a script timing it alone, 5
// runs), which a warm run, that never collects, does not pay.
setFlagsFromString('--expose-gc');
let gc: unknown = null;
const collectGarbage = () => {
  gc ??= runInNewContext('gc');
  if (typeof gc === 'function') gc();
};

const inFlight = inFlightRegistry();
const io: Io = {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  now: () => new Date(),
  stdoutIsTerminal: Boolean(process.stdout.isTTY),
  stderrIsTerminal: Boolean(process.stderr.isTTY),
  colorCapable: Boolean(process.stdout.isTTY) && !('NO_COLOR' in process.env) && process.env.TERM !== 'dumb',
  inFlight,
  onHangup: (handler) => void process.on('SIGHUP', handler),
  collectGarbage,
};

/** A bug, not bad input: one line, and the stack only when asked. */
function unexpected(error: unknown): Outcome {
  const detail = error instanceof Error ? error.message : String(error);
  process.stderr.write(`watchdog: unexpected error: ${detail}. Run with WATCHDOG_DEBUG=1 for details and please report it.\n`);
  if (process.env.WATCHDOG_DEBUG) process.stderr.write(`${(error as Error).stack ?? ''}\n`);
  return { failure: 'unknown' };
}

// `watchdog report | head` closes the pipe early: that is the reader's choice, not an
// error worth a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

/** Thaws what is frozen, then ends the process; a second signal meanwhile changes
 *  nothing (it must not cut the thaw short). */
let ending = false;
function end(code: number, why: string): void {
  if (ending) return;
  ending = true;
  void inFlight.undoAll(why).finally(() => process.exit(code));
}

// Whatever escapes (a bug) ends the run as "unknown" (3), never as 1, which a
// monitoring system or systemd's SuccessExitStatus would take for a mere warning.
process.on('uncaughtException', (error) => end(exitCodeOf(unexpected(error)), 'error'));

// systemd's stop or a Ctrl-C: end as a signal would (128 + n).
process.on('SIGTERM', () => end(143, 'SIGTERM'));
process.on('SIGINT', () => end(130, 'SIGINT'));

let outcome: Outcome;
try {
  outcome = await runCli(process.argv.slice(2), io);
} catch (error) {
  if (error instanceof WatchdogError) {
    if (error.message) process.stderr.write(`watchdog: ${error.message}\n`);
    outcome = { failure: error.failure };
  } else {
    outcome = unexpected(error);
  }
}
process.exitCode = exitCodeOf(outcome);
