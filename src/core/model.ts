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
  /** What the container may do to the host (issue #13), from inspect: privileges,
   *  namespaces, devices, bind mounts. */
  security: ContainerSecurity;
  sizeRwBytes: number | null;
  footprint: Footprint | null;
  /** Changes whenever the engine rewrites the container's state on disk (start, stop,
   *  pause, rename): what was measured about an exited container stays valid while it
   *  holds, and so does a running container's inspect (not its log, nor its files).
   *  Null when the engine's files are not readable from here. */
  changeToken: string | null;
}

/** A bind mount of a host path, as inspect shows it (top-level `Mounts`, or
 *  `HostConfig.Binds` and `HostConfig.Mounts`). */
export interface BindMount {
  source: string;
  destination: string;
  readOnly: boolean;
}

/** A host device given to the container (`--device`). */
export interface DeviceMapping {
  pathOnHost: string;
  pathInContainer: string;
  /** cgroup permissions: r, w, m. */
  permissions: string;
}

/** How a container may reach past its own namespaces (issue #13): what `docker inspect`
 *  says of its HostConfig and mounts. Present for containers that never started too. */
export interface ContainerSecurity {
  privileged: boolean;
  /** `--cap-add`, as given (`SYS_ADMIN`, `CAP_SYS_ADMIN`, `ALL`). */
  capAdd: readonly string[];
  /** `--pid`, `--ipc`, `--network`: `host` shares the host's namespace. */
  pidMode: string;
  ipcMode: string;
  networkMode: string;
  /** `--security-opt`, e.g. `seccomp=unconfined`, `apparmor=unconfined`. */
  securityOpt: readonly string[];
  devices: readonly DeviceMapping[];
  /** `--device-cgroup-rule`, e.g. `b *:* rwm`. */
  deviceCgroupRules: readonly string[];
  binds: readonly BindMount[];
  /** `--tmpfs` and `--mount type=tmpfs` destinations: what a read-only container writes
   *  there never shows in `docker diff` (WRITABLE_ROOTFS). */
  tmpfs: readonly string[];
  /** Destinations of its writable volumes and bind mounts: writes there are not in its
   *  layer, so `--read-only` leaves them as they are (WRITABLE_ROOTFS). */
  writableMounts: readonly string[];
}

/** The inspect facts of a container, without what is measured afresh every run: what
 *  the state store keeps of a container while its change token holds (of an exited
 *  one, with its log and footprint). */
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
  /** The host's side of the audit (issue #13); absent when it was not collected
   *  (audit.enabled false, or a run that does not need it). */
  audit?: HostAudit;
}

/** A line of the group database (`/etc/group`). */
export interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

/** A line of the user database (`/etc/passwd`). */
export interface UserEntry {
  name: string;
  uid: number;
  /** The primary group. */
  gid: number;
}

/** Who may use the engine's socket: its owner, group and mode (stat of the unix socket
 *  the engine is reached on), with the group and user databases; or an engine reached
 *  over TCP, whose socket cannot be checked from here. */
export type SocketAccess =
  | {
      kind: 'unix';
      path: string;
      uid: number;
      gid: number;
      /** Permission bits (mode & 0o7777). */
      mode: number;
      /** Null when the database could not be read (a collector failure says why). */
      groups: GroupEntry[] | null;
      users: UserEntry[] | null;
    }
  | { kind: 'tcp'; url: string; tls: boolean };

/** Where the engine's default log options were read from, and what they are. */
export type LogDefaultsSource =
  | {
      kind: 'file';
      /** The daemon.json the engine was started with (or the one configured). */
      path: string;
      /** How that path was found, in words: "the --config-file of dockerd (pid 812), which serves unix:///var/run/docker.sock". */
      foundBy: string;
      /** False when there is no such file: the engine runs on its built-in defaults. */
      exists: boolean;
      /** `log-driver` and `log-opts` of the file merged with dockerd's own `--log-driver`
       *  and `--log-opt` flags (dockerd refuses to start when both set one). */
      logDriver: string | null;
      logOpts: Record<string, string>;
    }
  /** Not readable from here: a remote engine, or no dockerd found for the socket. */
  | { kind: 'unknown'; reason: string };

/** The engine's default log configuration: what a container created without --log-driver
 *  and --log-opt gets. */
export interface LogDefaults {
  /** `docker info` LoggingDriver: the running engine's default driver. */
  driver: string | null;
  source: LogDefaultsSource;
}

/** The host's side of the audit (issue #13): facts, decided on by core/audit.ts. */
export interface HostAudit {
  /** `docker info` SecurityOptions (`name=seccomp,profile=builtin`, `name=apparmor`,
   *  `name=userns`, `name=rootless`); null when the engine did not say. */
  securityOptions: string[] | null;
  /** The engine's unix sockets, as far as they are known here (the one used, what it
   *  resolves to, the -H sockets of the dockerd serving it): a container that mounts one
   *  can start containers. */
  sockets: string[];
  /** Null when it could not be read (a collector failure says why). */
  socket: SocketAccess | null;
  /** Null when it could not be read (a collector failure says why). */
  logDefaults: LogDefaults | null;
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
