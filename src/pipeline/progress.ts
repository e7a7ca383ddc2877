// The progress line of a long scan (issue #14): the first run on a host of thousands of
// exited containers inspects and measures each one, which takes seconds, and a person
// at a terminal should see that it is working. One line on stderr, rewritten in place,
// only on a terminal, only once the scan has taken longer than about a second, and
// cleared when it ends, so that what stays on the screen is the report alone. Never in
// --json runs and never when stderr is a pipe or a file (a timer's journal).

import type { ProgressReporter } from '../collect/containers.js';

export interface Progress {
  report: ProgressReporter;
  /** Clears the line, if one was drawn. */
  end(): void;
}

export const NO_PROGRESS: Progress = { report: () => {}, end: () => {} };

/** A scan shorter than this shows nothing. */
const SHOW_AFTER_MS = 1000;
/** Redrawn at most this often: a terminal is not a log. */
const REDRAW_MS = 100;

const count = (n: number) => n.toLocaleString('en-US');

export function progressLine(stream: NodeJS.WritableStream, clock: () => number = () => performance.now()): Progress {
  const startedAt = clock();
  let drawnAt: number | null = null;
  return {
    report(step, done, total) {
      const now = clock();
      if (now - startedAt < SHOW_AFTER_MS) return;
      if (drawnAt !== null && now - drawnAt < REDRAW_MS && done < total) return;
      drawnAt = now;
      // \r and erase-to-end-of-line: the line is rewritten, never scrolled.
      stream.write(`\rwatchdog: ${step} ${count(done)} of ${count(total)} containers\x1b[K`);
    },
    end() {
      if (drawnAt !== null) stream.write('\r\x1b[K');
      drawnAt = null;
    },
  };
}
