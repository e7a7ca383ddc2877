// The progress line of a long scan (issue #14): the first run on a host of thousands of
// exited containers reads (or inspects) and measures each one, which takes seconds, and a person
// at a terminal should see that it is working. One line on stderr, rewritten in place,
// only on a terminal, only once a scan has taken longer than about a second, and
// erased when it ends (or the run is stopped by a signal), so that what stays on the
// screen is the report alone. Never in --json runs and never when stderr is a pipe or
// a file (a timer's journal).

import type { InFlight } from '../act/in-flight.js';
import type { ProgressReporter } from '../collect/containers.js';
import { formatCount } from '../core/units.js';

export interface Progress {
  /** A scan begins: the second before anything is drawn counts from here. */
  start(): void;
  report: ProgressReporter;
  /** Erases the line, if one was drawn. */
  end(): void;
}

export const NO_PROGRESS: Progress = { start: () => {}, report: () => {}, end: () => {} };

/** A scan shorter than this shows nothing. */
const SHOW_AFTER_MS = 1000;
/** Redrawn at most this often: a terminal is not a log. */
const REDRAW_MS = 100;

const ERASE = '\r\x1b[K';

export function progressLine(stream: NodeJS.WritableStream, inFlight: InFlight, clock: () => number = () => performance.now()): Progress {
  let startedAt = clock();
  let drawnAt: number | null = null;
  // While a line is on the screen, a SIGINT (main.ts) erases it before the process ends.
  let release: (() => void) | null = null;
  const end = () => {
    if (drawnAt !== null) stream.write(ERASE);
    drawnAt = null;
    release?.();
    release = null;
  };
  return {
    start() {
      end();
      startedAt = clock();
    },
    report(step, done, total) {
      const now = clock();
      if (now - startedAt < SHOW_AFTER_MS) return;
      if (drawnAt !== null && now - drawnAt < REDRAW_MS && done < total) return;
      if (release === null) {
        try {
          release = inFlight.add(async () => void stream.write(ERASE));
        } catch {
          return; // the process is stopping: draw nothing more
        }
      }
      drawnAt = now;
      // \r and erase-to-end-of-line: the line is rewritten, never scrolled.
      stream.write(`\rwatchdog: ${step} ${formatCount(done)} of ${formatCount(total)} containers\x1b[K`);
    },
    end,
  };
}
