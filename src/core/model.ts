// The data that flows through one pass: what the collectors saw (Snapshot) and what
// evaluate() concluded (Finding). Plain data only, so the pure core can be tested with
// tables and the JSON report is a straight projection of it.

export type Severity = 'info' | 'warning' | 'critical';

export type FindingCode =
  | 'DATA_SPACE_LOW'
  | 'METADATA_SPACE_LOW'
  | 'INODES_LOW'
  | 'THIN_POOL_LOOPBACK'
  | 'UNBOUNDED_LOG'
  | 'LOG_GROWTH'
  | 'LOG_CORRUPT'
  | 'EXITED_CONTAINERS_OVERHEAD'
  | 'DRIFT_SUSPICIOUS'
  | 'ALERT_DELIVERY_FAILED'
  | 'ACTION_FAILED'
  | 'COLLECTOR_FAILED';

export interface Finding {
  code: FindingCode;
  severity: Severity;
  message: string;
  containerId?: string;
}

export interface EngineFacts {
  /** The engine's ID (`docker info`): what the state store is kept for. */
  id: string;
  /** The engine host's name, as the engine reports it (alert subjects name it). */
  hostName: string;
  host: string;
  serverVersion: string;
  apiVersion: string;
  storageDriver: string;
  dockerRootDir: string;
  /** DockerRootDir is readable from here, so file-based measurements are possible. */
  local: boolean;
  /** The engine runs on this host (a unix socket, and its hostname is ours), so statfs
   *  of DockerRootDir works even when its files are not readable by this user. */
  sameHost: boolean;
  /** Engine 29+ keeps images in containerd's content store, not under DockerRootDir. */
  containerdImageStore: boolean;
}

/** Used, total and available bytes of one space (thin-pool data, a filesystem...). */
export interface Space {
  usedBytes: number;
  totalBytes: number;
  availableBytes: number;
}

export interface Inodes {
  used: number;
  total: number;
}

export interface ThinPool {
  name: string;
  minimumFreeBytes: number | null;
  loopback: boolean;
  dataLoopFile: string | null;
  metadataLoopFile: string | null;
}

export type StorageSource = 'thin-pool' | 'filesystem' | 'zfs' | 'unknown';

export interface Storage {
  source: StorageSource;
  /** The directory whose filesystem was measured, for source "filesystem". */
  path: string | null;
  data: Space | null;
  metadata: Space | null;
  inodes: Inodes | null;
  thinPool: ThinPool | null;
  /** containerd's root when the engine uses the containerd image store and it lies on
   *  another filesystem than DockerRootDir; null otherwise. */
  imageStore: { path: string; data: Space; inodes: Inodes | null } | null;
  /** Why figures are missing (remote engine, unknown driver), for the reader. */
  note: string | null;
}

export interface UsageLine {
  count: number;
  active: number;
  sizeBytes: number;
  reclaimableBytes: number;
}

export interface Usage {
  /** When the engine computed it: df is expensive, so a recent answer is reused. */
  measuredAt: string;
  images: UsageLine;
  containers: UsageLine;
  volumes: UsageLine;
  buildCache: UsageLine;
  /** SizeRw per container id, as `docker system df -v` reports it. */
  sizeRwById: Record<string, number>;
}

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

export interface CollectorTiming {
  collector: string;
  seconds: number;
  ok: boolean;
  /** Items measured afresh and items taken from the state store's cache. */
  measured?: number;
  cached?: number;
}

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
