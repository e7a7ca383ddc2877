// The JSON report's contract (`watchdog report --json`, schemaVersion 1), as zod
// schemas. They are the one source of the report's types (core/model.ts and
// core/report.ts infer theirs from here, so nothing at run time loads zod for them) and
// of the published JSON Schema, docs/report.schema.json (`npm run schema` writes it; a
// unit test fails when it is stale; the engine tests validate real reports against it).
// Objects are strict: a field added to the report but not here fails those tests.

import { z } from 'zod';

const bytes = z.number().int().min(0);
const isoTime = z.iso.datetime();

export const severitySchema = z.enum(['info', 'warning', 'critical']);

export const findingCodeSchema = z.enum([
  'DATA_SPACE_LOW',
  'METADATA_SPACE_LOW',
  'INODES_LOW',
  'THIN_POOL_LOOPBACK',
  'UNBOUNDED_LOG',
  'LOG_LIMIT_TOO_BIG',
  'LOG_GROWTH',
  'LOG_CORRUPT',
  'EXITED_CONTAINERS_OVERHEAD',
  'DRIFT_SUSPICIOUS',
  'DRIFT_LABEL_IGNORED',
  'CONTAINER_PAUSED',
  'CONTAINER_THAWED',
  'ROTATION_NO_SPACE',
  'STATE_UNAVAILABLE',
  'ALERT_DELIVERY_FAILED',
  'ACTION_FAILED',
  'COLLECTOR_FAILED',
  // The daemon (issue #11): a log or the data space growing so fast that the space left
  // lasts less than watch.horizon.
  'RUNAWAY_LOG',
  'SPACE_RUNAWAY',
  // The audit (issue #13): what on this host is one step from root, and an engine whose
  // default log configuration caps nothing.
  'DOCKER_GROUP_MEMBERS',
  'HOST_ROOT_MOUNT',
  'PRIVILEGED_CONTAINER',
  'NO_MAC',
  'DAEMON_LOG_DEFAULTS',
  // A running container that could run read-only, or one that does (its tmpfs writes
  // are out of drift's sight).
  'WRITABLE_ROOTFS',
  // A setuid or setgid file in a container's drift (its changed or added files).
  'SETUID_DRIFT',
  // Drift of a running container, checked at most every drift.runningInterval (issue #13).
  'RUNNING_DRIFT',
]);

/** Which of the engine's spaces a space finding is about: alerts are keyed by it. */
export const spaceNameSchema = z.enum(['data', 'metadata', 'inodes', 'image-store', 'image-store-inodes']);

export const findingSchema = z.strictObject({
  code: findingCodeSchema,
  severity: severitySchema,
  /** For people; decisions are made on the fields, never on this text. */
  message: z.string(),
  containerId: z.string().optional(),
  /** What it is about, by name: a container, a collector, an action's target; for
   *  DOCKER_GROUP_MEMBERS the user (or the socket, or a TCP engine's address), for
   *  DAEMON_LOG_DEFAULTS the daemon.json. */
  subject: z.string().optional(),
  space: spaceNameSchema.optional(),
  /** UNBOUNDED_LOG, LOG_CORRUPT: the log's bytes on disk. */
  logBytes: bytes.optional(),
  /** LOG_GROWTH: how fast the log grows. */
  bytesPerDay: z.number().optional(),
  /** RUNAWAY_LOG, SPACE_RUNAWAY: the growth over the last minute. */
  bytesPerSecond: z.number().optional(),
  /** SETUID_DRIFT: how many setuid or setgid files were found (0 when the finding only
   *  says that some paths were not checked). */
  setuidFiles: z.number().int().min(0).optional(),
  /** SETUID_DRIFT: changed paths whose mode was not checked (drift.maxModeChecks). */
  modesUnchecked: z.number().int().min(0).optional(),
});

export const engineSchema = z.strictObject({
  /** The engine's ID (`docker info`): what the state store is kept for. */
  id: z.string(),
  /** The engine host's name, as the engine reports it (alert subjects name it). */
  hostName: z.string(),
  host: z.string(),
  serverVersion: z.string(),
  apiVersion: z.string(),
  storageDriver: z.string(),
  dockerRootDir: z.string(),
  /** DockerRootDir is readable from here, so file-based measurements are possible. */
  local: z.boolean(),
  /** The engine runs on this host (a unix socket, and its hostname is ours), so statfs
   *  of DockerRootDir works even when its files are not readable by this user. */
  sameHost: z.boolean(),
  /** Engine 29+ keeps images in containerd's content store, not under DockerRootDir. */
  containerdImageStore: z.boolean(),
});

export const spaceSchema = z.strictObject({ usedBytes: bytes, totalBytes: bytes, availableBytes: bytes });
export const inodesSchema = z.strictObject({ used: z.number().int().min(0), total: z.number().int().min(0) });

export const thinPoolSchema = z.strictObject({
  name: z.string(),
  minimumFreeBytes: bytes.nullable(),
  loopback: z.boolean(),
  dataLoopFile: z.string().nullable(),
  metadataLoopFile: z.string().nullable(),
});

export const storageSchema = z.strictObject({
  source: z.enum(['thin-pool', 'filesystem', 'zfs', 'unknown']),
  /** The directory whose filesystem was measured, for source "filesystem". */
  path: z.string().nullable(),
  data: spaceSchema.nullable(),
  metadata: spaceSchema.nullable(),
  inodes: inodesSchema.nullable(),
  thinPool: thinPoolSchema.nullable(),
  /** containerd's root when the engine uses the containerd image store and it lies on
   *  another filesystem than DockerRootDir. */
  imageStore: z.strictObject({ path: z.string(), data: spaceSchema, inodes: inodesSchema.nullable() }).nullable(),
  /** Why figures are missing (remote engine, unknown driver), for the reader. */
  note: z.string().nullable(),
});

export const forecastSchema = z.strictObject({
  growthBytesPerHour: z.number().nullable(),
  /** When the space reaches the engine's real full line at this trend; null if never. */
  fullAt: isoTime.nullable(),
  /** How the figure was obtained, or why there is none. */
  basis: z.string(),
});

export const usageLineSchema = z.strictObject({ count: z.number().int().min(0), active: z.number().int().min(0), sizeBytes: bytes, reclaimableBytes: bytes });

export const usageSchema = z.strictObject({
  /** When the engine computed it: df is expensive, so a recent answer is reused. */
  measuredAt: isoTime,
  images: usageLineSchema,
  containers: usageLineSchema,
  volumes: usageLineSchema,
  buildCache: usageLineSchema,
});

export const containerReportSchema = z.strictObject({
  id: z.string(),
  name: z.string(),
  image: z.string(),
  state: z.string(),
  finishedAt: isoTime.nullable(),
  log: z.strictObject({
    driver: z.string(),
    path: z.string().nullable(),
    /** Live file plus rotated siblings; null when not measurable from here. */
    bytes: bytes.nullable(),
    maxSizeBytes: bytes.nullable(),
    maxFiles: z.number().int().nullable(),
    /** max-size x max-file: the most the engine lets this log hold. */
    limitBytes: bytes.nullable(),
    bounded: z.boolean(),
    rotatedFiles: z.number().int().nullable(),
    corrupt: z.boolean().nullable(),
    /** From the state store's history; null for stopped containers or too little history. */
    growthBytesPerHour: z.number().nullable(),
  }),
  sizeRwBytes: bytes.nullable(),
  footprintBytes: bytes.nullable(),
  footprintInodes: z.number().int().nullable(),
});

export const collectorTimingSchema = z.strictObject({
  collector: z.string(),
  seconds: z.number().min(0),
  ok: z.boolean(),
  /** Items measured afresh and items taken from the state store's cache. */
  measured: z.number().int().optional(),
  cached: z.number().int().optional(),
});

export const reportSchema = z.strictObject({
  schemaVersion: z.literal(1),
  generatedAt: isoTime,
  engine: engineSchema.nullable(),
  storage: storageSchema.extend({ forecast: forecastSchema.nullable(), inodeForecast: forecastSchema.nullable() }).nullable(),
  usage: usageSchema.nullable(),
  containers: z.array(containerReportSchema),
  exited: z.strictObject({
    count: z.number().int().min(0),
    /** Null where the engine did not say (df failed) or no files were readable. */
    sizeRwBytes: bytes.nullable(),
    logBytes: bytes.nullable(),
    footprintBytes: bytes.nullable(),
    footprintInodes: z.number().int().nullable(),
    /** How many of them the footprint covers (one removed mid-run is not measured). */
    footprintMeasured: z.number().int().min(0),
  }),
  /** Worst first. */
  findings: z.array(findingSchema),
  /** How long each collector took, and whether it worked (node_exporter style). */
  collectors: z.array(collectorTimingSchema),
  /** A `watchdog watch` daemon holding this store's lease (issue #11); null when none runs. */
  daemon: z.strictObject({ pid: z.number().int(), since: isoTime, lastFullPassAt: isoTime.nullable(), polledLogs: z.number().int().min(0) }).nullable(),
});

/** `watchdog audit --json` (issue #13): the findings in the report's shape, with what was
 *  audited. */
export const auditOutputSchema = z.strictObject({
  schemaVersion: z.literal(1),
  generatedAt: isoTime,
  engine: engineSchema.nullable(),
  /** Whether the host (socket, confinement, log defaults) was audited: not when
   *  containers were named. */
  host: z.boolean(),
  /** How many containers were audited. */
  containers: z.number().int().min(0),
  /** The last running-drift check (RUNNING_DRIFT) of each audited container that is
   *  running and was checked; `watchdog audit` runs no diff of its own. */
  runningDrift: z.array(
    z.strictObject({
      containerId: z.string(),
      name: z.string(),
      checkedAt: isoTime,
      /** How long its `docker diff` took. */
      durationMs: z.number().min(0),
      /** How many changes it listed. */
      changes: z.number().int().min(0),
      status: z.enum(['clean', 'suspicious', 'not-applicable']),
    }),
  ),
  /** Worst first. */
  findings: z.array(findingSchema),
  /** WRITABLE_ROOTFS: for each running container its recorded drift allows to run
   *  read-only, the flags (core/readonly-profile.ts). */
  profiles: z.array(
    z.strictObject({
      containerId: z.string(),
      name: z.string(),
      /** `--read-only`, then `--tmpfs DIR` for each folder it writes. */
      flags: z.array(z.string()),
      /** Tmpfs folders where the image has files it changed: a tmpfs starts empty. */
      hidesImageFiles: z.array(z.string()),
      /** Tmpfs folders the image has: a tmpfs hides what it keeps there. */
      imageFolders: z.array(z.string()),
      /** Its writable volumes and bind mounts, which stay writable. */
      writableMounts: z.array(z.string()),
      /** How many drift checks the suggestion rests on, since when. */
      checks: z.number().int().min(1),
      since: isoTime,
    }),
  ),
});

/** The published JSON Schema (docs/report.schema.json), as text. */
export function reportJsonSchema(): string {
  const schema = z.toJSONSchema(reportSchema, { target: 'draft-2020-12', io: 'output' });
  return `${JSON.stringify({ ...schema, title: 'watchdog report --json', description: 'The report of docker-watchdog, schemaVersion 1: bytes as integers, times as ISO-8601, null for what could not be measured.' }, null, 2)}\n`;
}
