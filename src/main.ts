#!/usr/bin/env node
// The bin entry: the only place that turns errors into exit codes and messages.

import { runCli } from './cli.js';
import { processIo } from './commands/io.js';
import { WatchdogError } from './errors.js';

// `watchdog report | head` closes the pipe early: that is the reader's choice, not an
// error worth a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

// Whatever escapes (a bug) ends the run as "unknown" (3), never as 1, which a
// monitoring system or systemd's SuccessExitStatus would take for a mere warning.
process.on('uncaughtException', (error) => {
  process.stderr.write(`watchdog: unexpected error: ${error.message}. Run with WATCHDOG_DEBUG=1 for details and please report it.\n`);
  if (process.env.WATCHDOG_DEBUG) process.stderr.write(`${error.stack ?? ''}\n`);
  process.exit(3);
});

const io = processIo();
try {
  process.exitCode = await runCli(process.argv.slice(2), io);
} catch (error) {
  if (error instanceof WatchdogError) {
    if (error.message) io.stderr.write(`watchdog: ${error.message}\n`);
    process.exitCode = error.exitCode;
  } else {
    // A bug, not bad input: say so in one line, and show the stack only when asked.
    const detail = error instanceof Error ? error.message : String(error);
    io.stderr.write(`watchdog: unexpected error: ${detail}. Run with WATCHDOG_DEBUG=1 for details and please report it.\n`);
    if (process.env.WATCHDOG_DEBUG) io.stderr.write(`${(error as Error).stack ?? ''}\n`);
    process.exitCode = 3;
  }
}
