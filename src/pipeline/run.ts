// The preamble every command that talks to the engine shares: the configuration, the
// engine, and the state store locked for the run (pipeline/store.ts). The daemon (issue
// #11) opens one Run and drives the other steps with it many times: each gather reads
// the clock afresh.

import type { Config } from '../config/schema.js';
import { loadConfig } from '../config/load.js';
import { connectEngine, type EngineClient, type Opening } from '../engine/client.js';
import { resolveHost } from '../engine/host.js';
import type { Db } from '../state/store.js';
import { warner, type Io } from './io.js';
import { NO_PROGRESS, progressLine, type Progress } from './progress.js';
import { withStore, type StoreOptions } from './store.js';

export interface RunOptions extends StoreOptions {
  host?: string;
  config?: string;
  /** The command may send mail (`check`): the configured password must be there. */
  sendsMail?: boolean;
  /** A person may be waiting for the output: show a long scan's progress on stderr, if
   *  stderr is a terminal (issue #14). Off for --json and the daemon. */
  progress?: boolean;
}

/** Everything a step needs besides the pass it works on. */
export interface Run {
  config: Config;
  client: EngineClient;
  db: Db;
  /** The store's path (even when the run holds it in memory). */
  statePath: string;
  /** What went wrong with the store so far (pipeline/store.ts): STATE_UNAVAILABLE. */
  storeProblems: string[];
  io: Io;
  warn: (message: string) => void;
  /** The progress line of a long scan, or nothing (pipeline/progress.ts). */
  progress: Progress;
  /** The engine's first answers, asked while the store opened (withRun); the run's
   *  first gather takes them, a later one asks again. */
  opening: Opening | null;
}

/** The configuration, then the engine, then the store: a bad configuration or engine
 *  address is refused before the run waits for anyone's lock. */
export async function withRun<T>(options: RunOptions, io: Io, work: (run: Run) => Promise<T>): Promise<T> {
  const config = await loadConfig(options.config, io.env, options.sendsMail ?? false);
  const client = connectEngine(resolveHost(options.host, io.env));
  const progress = options.progress && io.stderrIsTerminal ? progressLine(io.stderr, io.inFlight) : NO_PROGRESS;
  // The engine answers while the store is locked and opened: at 1,000 exited
  // containers it takes 12 ms to list the active ones, and opening the store 6-7 ms
  // (issue #14). The requests go out once the event loop has seen their sockets
  // connect, in its poll phase: two turns make sure of one (seen with strace), before
  // the store's lock and opening hold the thread.
  // A run that waited for another's lock asks again: the other may have changed the
  // host meanwhile (paused, unpaused, removed containers). What is still being asked
  // when the run ends, or is refused its store, is given up.
  const opening = client.opening();
  for (let turn = 0; turn < 2; turn++) await new Promise((resolve) => setImmediate(resolve));
  try {
    return await withStore(options, io, (store) => {
      if (store.waited) opening.cancel();
      return work({ config, client, db: store.db, statePath: store.path, storeProblems: store.problems, io, warn: warner(io), progress, opening: store.waited ? null : opening });
    });
  } finally {
    opening.cancel();
  }
}

/** Containers from which a run collects its garbage after gathering and after recording
 *  (settleMemory). Below, runs peak far under 100 MB (70 MB at 1,000) and the warm ones
 *  are short: a collection there would only cost time. */
export const SETTLE_FROM = 2000;

/**
 * A full garbage collection between two steps of a run on a host of many containers:
 * what a step leaves (the cache's rows, the store's writes, evaluation) outlives V8's
 * young generation and would stay until its next major collection (main.ts). At 10,000
 * exited containers, after gather and record: `check --dry-run` peaked at 95 MB
 * instead of 103 MB, a warm `report` at 88 MB instead of 94 MB, in the same time
 * (issue #14).
 */
export function settleMemory(run: Run, containers: number): void {
  if (containers >= SETTLE_FROM) run.io.collectGarbage?.();
}

/** The engine's DockerRootDir, or why it could not be asked (`watchdog config check`,
 *  which must not fail for an engine that is down). */
export async function askDockerRootDir(host: string | undefined, io: Io): Promise<{ root: string } | { unreachable: string }> {
  try {
    const info = await connectEngine(resolveHost(host, io.env)).info();
    return info.DockerRootDir ? { root: info.DockerRootDir } : { unreachable: 'it did not say its DockerRootDir' };
  } catch (error) {
    return { unreachable: (error as Error).message };
  }
}
