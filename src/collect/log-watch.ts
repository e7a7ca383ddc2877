// Live sizes of the logs the daemon watches (issue #11), by chokidar: inotify for each
// file, so a runaway log is seen within milliseconds, not at the next timer run. When
// the kernel's inotify watches run out (ENOSPC, or EMFILE), the files that could not be
// watched are polled instead (once a second) and the daemon is told once.

import { watch, type FSWatcher } from 'chokidar';
import type { Stats } from 'node:fs';

export interface LogWatch {
  add(path: string): void;
  remove(path: string): void;
  /** How many files are polled because inotify could not take them. */
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
  const watched = new Set<string>();
  const common = { persistent: true, ignoreInitial: true, alwaysStat: true, atomic: false, awaitWriteFinish: false } as const;
  let polling: FSWatcher | null = null;
  const pollingPaths = new Set<string>();
  const onChange = (path: string, stats?: Stats) => {
    if (stats && watched.has(path)) events.size(path, stats.size);
  };
  const poller = (): FSWatcher => {
    if (!polling) polling = watch([], { ...common, usePolling: true, interval: POLL_INTERVAL_MS, binaryInterval: POLL_INTERVAL_MS }).on('change', onChange);
    return polling;
  };
  const toPolling = (paths: string[], reason: string) => {
    const fresh = paths.filter((p) => watched.has(p) && !pollingPaths.has(p));
    if (fresh.length === 0) return;
    for (const path of fresh) {
      pollingPaths.add(path);
      inotify.unwatch(path);
      poller().add(path);
    }
    events.polling(pollingPaths.size, reason);
  };
  const inotify = watch([], { ...common, usePolling: false })
    .on('change', onChange)
    .on('error', (error: unknown) => {
      const e = error as NodeJS.ErrnoException;
      if (e.code && OUT_OF_WATCHES.has(e.code)) {
        // Node names the file it could not watch; without a name, every file not yet
        // polled may be the one, and polling them all loses nothing.
        const path = e.path ?? (e as { filename?: string }).filename;
        toPolling(path && watched.has(path) ? [path] : [...watched], `the kernel's inotify watches ran out (${e.code}): raise fs.inotify.max_user_watches`);
      } else {
        events.error(e.message ?? String(error));
      }
    });
  return {
    add(path) {
      if (watched.has(path)) return;
      watched.add(path);
      inotify.add(path);
    },
    remove(path) {
      if (!watched.delete(path)) return;
      if (pollingPaths.delete(path)) polling?.unwatch(path);
      else inotify.unwatch(path);
    },
    polled: () => pollingPaths.size,
    async close() {
      await Promise.all([inotify.close(), polling?.close()]);
    },
  };
}
