// What an action must undo if the process is told to stop half-way (a container frozen
// for the last copy of its log must be thawed). Actions register an undo while it is
// needed; main.ts alone handles SIGTERM and SIGINT: it runs every registered undo, then
// ends the process.

export interface InFlight {
  /** Registers `undo`; the returned function unregisters it once it is no longer needed. */
  add(undo: () => Promise<void>): () => void;
}

/** A registry of undos, for main.ts's signal handling and for tests. */
export function inFlightRegistry(): InFlight & { undoAll(): Promise<void> } {
  const undos = new Set<() => Promise<void>>();
  return {
    add(undo) {
      undos.add(undo);
      return () => void undos.delete(undo);
    },
    async undoAll() {
      await Promise.allSettled([...undos].map((undo) => undo()));
    },
  };
}
