// The data that flows through one pass: what the collectors saw (Snapshot) and what
// evaluate() concluded (Finding). Plain data only, so the pure core can be tested with
// tables and the JSON report is a straight projection of it.

import type { z } from 'zod';
import type { collectorTimingSchema, engineSchema, findingCodeSchema, findingSchema, inodesSchema, severitySchema, spaceNameSchema, spaceSchema, storageSchema, thinPoolSchema, usageLineSchema, usageSchema } from './report-schema.js';

// What the report shows is typed by its schema (core/report-schema.ts): one source.
export type Severity = z.infer<typeof severitySchema>;
export type FindingCode = z.infer<typeof findingCodeSchema>;
export type SpaceName = z.infer<typeof spaceNameSchema>;
export type Finding = z.infer<typeof findingSchema>;
export type EngineFacts = z.infer<typeof engineSchema>;
/** Used, total and available bytes of one space (thin-pool data, a filesystem...). */
export type Space = z.infer<typeof spaceSchema>;
export type Inodes = z.infer<typeof inodesSchema>;
export type ThinPool = z.infer<typeof thinPoolSchema>;
export type Storage = z.infer<typeof storageSchema>;
export type StorageSource = Storage['source'];
export type UsageLine = z.infer<typeof usageLineSchema>;
export type CollectorTiming = z.infer<typeof collectorTimingSchema>;

/** The `docker system df` breakdown, and SizeRw per container id as `docker system df
 *  -v` reports it (kept out of the report: the containers carry it). */
export type Usage = z.infer<typeof usageSchema> & { sizeRwById: Record<string, number> };

export interface LogConfigFacts {
  driver: string;
  /** `max-size` in bytes, null when the log has no cap. */
  maxSizeBytes: number | null;
  /** `max-file`; the engine's default is 1. */
  maxFiles: number | null;
  /** Whether the engine itself keeps this log's size in check. */
  bounded: boolean;
}

export interface LogFiles {
  path: string;
  /** Live file plus rotated siblings (`-json.log.1`, `-json.log.2.gz`, ...). */
  bytes: number;
  liveBytes: number;
  rotatedFiles: number;
  /** NUL bytes at the start of the live file: an outside tool truncated a file the
   *  engine writes without O_APPEND. */
  corrupt: boolean;
}

export interface Footprint {
  bytes: number;
  inodes: number;
}

export interface ContainerFacts {
  id: string;
  name: string;
  image: string;
  state: string;
  /** ISO time; null when the container never ran (`0001-01-01T00:00:00Z`). */
  finishedAt: string | null;
  /** ISO time the container was created. */
  createdAt: string | null;
  labels: Record<string, string>;
  logConfig: LogConfigFacts;
  /** Engine-reported LogPath (json-file only). */
  logPath: string | null;
  /** Measured log files; null when not measurable from here. */
  logFiles: LogFiles | null;
  readonlyRootfs: boolean;
  sizeRwBytes: number | null;
  footprint: Footprint | null;
  /** Changes whenever the engine rewrites the container's state on disk (start, stop,
   *  rename): what was measured about an exited container stays valid while it holds.
   *  Null when the engine's files are not readable from here. */
  changeToken: string | null;
}

/** The inspect facts of a container, without what is measured afresh every run: what
 *  the state store keeps of an exited container while its change token holds. */
export type ExitedFacts = Omit<ContainerFacts, 'logFiles' | 'sizeRwBytes' | 'footprint' | 'changeToken'>;

export interface CollectorFailure {
  collector: string;
  message: string;
}

export interface Snapshot {
  takenAt: Date;
  engine: EngineFacts | null;
  storage: Storage | null;
  usage: Usage | null;
  containers: ContainerFacts[];
  failures: CollectorFailure[];
}

/** One past run's storage figures, as the state store keeps them. */
export interface StorageSample {
  /** ms since the epoch */
  at: number;
  dataUsed: number | null;
  inodesUsed: number | null;
}

/** What earlier runs recorded: storage samples, and log sizes per container id. */
export interface History {
  storage: StorageSample[];
  logs: Record<string, Array<{ at: number; value: number }>>;
}

export const NO_HISTORY: History = { storage: [], logs: {} };

/** States in which a container holds disk but runs nothing: what `docker container
 *  prune` would remove. */
export function isExited(state: string): boolean {
  return state === 'exited' || state === 'dead' || state === 'created';
}

/** What an exited container counts for on disk: its footprint, but never less than
 *  what `docker system df` counts for it (issue #10: du counts blocks, the engine a
 *  sparse file's apparent size); its SizeRw alone when the footprint is unmeasured. */
export function diskCost(footprintBytes: number | null, sizeRwBytes: number | null): number | null {
  if (footprintBytes === null) return sizeRwBytes;
  return Math.max(footprintBytes, sizeRwBytes ?? 0);
}

/** States in which a container runs, or is about to. */
export function isActive(state: string): boolean {
  return state === 'running' || state === 'paused' || state === 'restarting';
}
