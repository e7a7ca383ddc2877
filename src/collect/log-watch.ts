// Live sizes of the logs the daemon watches (issue #11), by chokidar: inotify for each
// file, so a runaway log is seen within milliseconds, not at the next timer run. When
// the kernel's inotify watches run out (ENOSPC, or EMFILE), the files that could not be
// watched are polled instead (once a second), and the daemon is told.

import { watch, type FSWatcher } from 'chokidar';
import type { Stats } from 'node:fs';

export interface LogWatch {
  /** Watch this file (again). */
  add(path: string): void;
  /** Stop watching it for now; `add` takes it up again (where inotify failed for it,
   *  by polling). */
  pause(path: string): void;
  /** Forget it. */
  remove(path: string): void;
  /** How many of the files known are polled because inotify could not take them. */
  polled(): number;
  close(): Promise<void>;
}

export interface LogWatchEvents {
  /** A watched file's size, whenever it changed (at most every 50 ms per file). */
  size(path: string, bytes: number): void;
  /** Inotify ran out: more files are polled from now on, `polled` in all. */
  polling(polled: number, reason: string): void;
  error(message: string): void;
}

const POLL_INTERVAL_MS = 1000;
const OUT_OF_WATCHES = new Set(['ENOSPC', 'EMFILE']);

export function watchLogs(events: LogWatchEvents): LogWatch {
  /** Every file known (watched or paused). */
  const known = new Set<string>();
  /** Watched now, by inotify or by polling. */
  const active = new Set<string>();
  /** Files inotify could not take: polled whenever they are watched. */
  const fellBack = new Set<string>();
  const common = { persistent: true, ignoreInitial: true, alwaysStat: true, atomic: false, awaitWriteFinish: false } as const;
  let polling: FSWatcher | null = null;
  const onChange = (path: string, stats?: Stats) => {
    if (stats && active.has(path)) events.size(path, stats.size);
  };
  const poller = (): FSWatcher => {
    if (!polling) polling = watch([], { ...common, usePolling: true, interval: POLL_INTERVAL_MS, binaryInterval: POLL_INTERVAL_MS }).on('change', onChange);
    return polling;
  };
  const toPolling = (paths: string[], reason: string) => {
    const fresh = paths.filter((p) => known.has(p) && !fellBack.has(p));
    if (fresh.length === 0) return;
    for (const path of fresh) {
      fellBack.add(path);
      inotify.unwatch(path);
      if (active.has(path)) poller().add(path);
    }
    events.polling(fellBack.size, reason);
  };
  const inotify = watch([], { ...common, usePolling: false })
    .on('change', onChange)
    .on('error', (error: unknown) => {
      const e = error as NodeJS.ErrnoException;
      if (e.code && OUT_OF_WATCHES.has(e.code)) {
        // Node names the file it could not watch; without a name, every file not yet
        // polled may be the one, and polling them all loses nothing.
        const path = e.path ?? (e as { filename?: string }).filename;
        toPolling(path && known.has(path) ? [path] : [...active], `the kernel's inotify watches ran out (${e.code}): raise fs.inotify.max_user_watches`);
      } else {
        events.error(e.message ?? String(error));
      }
    });
  const stop = (path: string) => {
    if (!active.delete(path)) return;
    if (fellBack.has(path)) polling?.unwatch(path);
    else inotify.unwatch(path);
  };
  return {
    add(path) {
      known.add(path);
      if (active.has(path)) return;
      active.add(path);
      if (fellBack.has(path)) poller().add(path);
      else inotify.add(path);
    },
    pause: stop,
    remove(path) {
      stop(path);
      known.delete(path);
      fellBack.delete(path);
    },
    polled: () => fellBack.size,
    async close() {
      await Promise.all([inotify.close(), polling?.close()]);
    },
  };
}
