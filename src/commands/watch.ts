// `watchdog watch`: the daemon (issue #11). Runs until SIGTERM or SIGINT; what it does
// is pipeline/daemon.ts. This command only says how its log lines look: a time, the
// event and a sentence for journald, or one JSON object per line for scripts.

import type { Outcome } from '../core/outcome.js';
import { DONE } from '../core/outcome.js';
import { visible } from '../core/render/text.js';
import { runDaemon, type DaemonOptions, type Say } from '../pipeline/daemon.js';
import type { Io } from '../pipeline/io.js';

export interface WatchOptions extends DaemonOptions {
  logFormat: 'text' | 'json';
}

function sayer(io: Io, format: WatchOptions['logFormat']): Say {
  return (event, message, fields = {}) => {
    const at = io.now().toISOString();
    io.stdout.write(format === 'json' ? `${JSON.stringify({ at, event, message, ...fields })}\n` : `${at} ${event} ${visible(message)}\n`);
  };
}

export async function watchCommand(options: WatchOptions, io: Io): Promise<Outcome> {
  await runDaemon(options, io, sayer(io, options.logFormat), { onHangup: (handler) => io.onHangup?.(handler) });
  return DONE;
}
