// Waiting for something a test's child process or server reports, as soon as it is
// there: the daemon's JSON lines (daemon.ts), the webhook's notifications (prometheus.ts).

/**
 * Resolves with what `look` finds, asking it now and each time a listener in `listeners`
 * fires; rejects with what `look` throws (the thing waited for can no longer come), or
 * with `timedOut()` after timeoutMs.
 */
export function waitUntil<T>(listeners: Set<() => void>, look: () => T | undefined, timeoutMs: number, timedOut: () => string): Promise<T> {
  return new Promise((resolve, reject) => {
    const done = (settle: () => void) => {
      clearTimeout(timer);
      listeners.delete(check);
      settle();
    };
    const check = () => {
      let found: T | undefined;
      try {
        found = look();
      } catch (error) {
        return done(() => reject(error));
      }
      if (found !== undefined) done(() => resolve(found));
    };
    const timer = setTimeout(() => done(() => reject(new Error(timedOut()))), timeoutMs);
    listeners.add(check);
    check();
  });
}
