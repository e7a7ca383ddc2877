// What an action must undo if the process is told to stop half-way (a container frozen
// for the last copy of its log must be thawed). Actions register an undo while it is
// needed; main.ts alone handles SIGTERM and SIGINT: it runs every registered undo, then
// ends the process. Once stopping, nothing new may start: a registration is refused, so
// the action that asked for it stops before it changes anything.

export interface InFlight {
  /** Registers `undo`, which is told why the process stops (the signal's name, or
   *  'error'); the returned function unregisters it once it is no longer needed.
   *  Throws once the process is stopping. */
  add(undo: (why: string) => Promise<void>): () => void;
}

export class StoppingError extends Error {
  constructor() {
    super('the watchdog is stopping (a signal); nothing more was started');
  }
}

/** A registry of undos, for main.ts's signal handling and for tests. */
export function inFlightRegistry(): InFlight & { undoAll(why?: string): Promise<void> } {
  const undos = new Set<(why: string) => Promise<void>>();
  let stopping = false;
  return {
    add(undo) {
      if (stopping) throw new StoppingError();
      undos.add(undo);
      return () => void undos.delete(undo);
    },
    async undoAll(why = 'error') {
      stopping = true;
      await Promise.allSettled([...undos].map((undo) => undo(why)));
    },
  };
}
