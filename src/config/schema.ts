// The configuration file, by a schema: the one place that knows its keys, its
// defaults and its types (`Config` is what the schema gives). Parsing reports every
// problem at once, each with its path and a hint. Loaded only when there is a file to
// parse (config/load.ts): zod and yaml are 1 MB a run without a file need not load.
//
// Values come out in the units the core reads (core/policy.ts): durations in
// milliseconds, sizes in bytes (decimal, as the engine's own: 1GB = 1,000,000,000),
// percentages as fractions. Key names are the file's own.

import { accessSync, constants, statSync } from 'node:fs';
import { dirname, posix } from 'node:path';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { ENGINE_ROOTS, archiveDirConflict } from '../core/archive-dir.js';
import { AUDIT_CODES } from '../core/audit.js';
import { severitySchema } from '../core/report-schema.js';
import { DURATION_HINT, parseDuration } from '../core/durations.js';
import { isWholeBytes, parseEngineSize } from '../core/units.js';
import { ConfigError } from '../errors.js';

/** What the file's values are checked against beyond their form: the environment
 *  (passwordEnv) and the files (archiveDir, passwordFile), read when the file is
 *  loaded, so that `config check` and every run refuse what a run could not use. */
export interface ConfigHost {
  env: Readonly<Record<string, string | undefined>>;
  /** The command sends mail (check, alert, config check): the password's file or
   *  variable must be there. A `report` or `prune` by hand, in a shell without the
   *  unit's environment, needs neither. */
  sendsMail: boolean;
}

/** "80%" or 80 -> 0.8 */
const percentage = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const match = typeof value === 'number' ? [String(value), String(value)] : /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(value);
  const n = match ? Number(match[1]) : NaN;
  // A bare 0.8 would mean 0.8 %, almost certainly not what was meant.
  if (!match || !(n > 0 && n <= 100) || (typeof value === 'number' && n <= 1)) {
    ctx.addIssue({ code: 'custom', message: `${JSON.stringify(value)} is not a percentage; write e.g. 80%` });
    return z.NEVER;
  }
  return n / 100;
});

const size = z.unknown().transform((value, ctx) => {
  // YAML reads 1e400 as Infinity, which z.number() would refuse with "Invalid input".
  const shown = typeof value === 'number' ? String(value) : JSON.stringify(value);
  const bytes = typeof value === 'number' ? value : typeof value === 'string' ? parseEngineSize(value) : null;
  const problem =
    bytes === null || Number.isNaN(bytes) || bytes <= 0
      ? `${shown} is not a size; write e.g. 100MB`
      : bytes > Number.MAX_SAFE_INTEGER
        ? `${shown} is too large a size; write at most 9PB (9,007,199,254,740,991 bytes)`
        : (typeof value === 'number' ? !Number.isInteger(value) : !isWholeBytes(value as string))
          ? `${shown} is not a whole number of bytes; write e.g. 100MB`
          : null;
  if (problem) {
    ctx.addIssue({ code: 'custom', message: problem });
    return z.NEVER;
  }
  return bytes!;
});

const duration = z.string().transform((value, ctx) => {
  const ms = parseDuration(value);
  if (ms === null) {
    ctx.addIssue({ code: 'custom', message: `${JSON.stringify(value)} is not a duration; ${DURATION_HINT}` });
    return z.NEVER;
  }
  return ms;
});

/** A duration of at least `minMs`: a daemon interval of 0 would spin. */
const durationAtLeast = (minMs: number, shown: string) => duration.refine((ms) => ms >= minMs, `must be at least ${shown}`);

const absolutePath = z.string().startsWith('/', 'must be an absolute path');

/** CR, LF and other control characters would let a value write mail headers of its own. */
const CONTROL = /[\u0000-\u001f\u007f]/;
const oneLine = (s: z.ZodString) => s.refine((v) => !CONTROL.test(v), { error: (i) => `${JSON.stringify(i.input)} holds a control character (a line break?); write it on one line` });

// One address, bare (ops@example.com) or with a display name (Ops <ops@example.com>):
// no list (a comma), no comment, no group.
const ADDR_SPEC = String.raw`[^\s@<>(),;:"\[\]\\]+@[^\s@<>(),;:"\[\]\\]+`;
const ADDRESS = new RegExp(String.raw`^(?:${ADDR_SPEC}|(?:[^<>",;:@]*|"[^"\\]*")\s*<${ADDR_SPEC}>)$`);
const address = oneLine(z.string()).refine((v) => CONTROL.test(v) || ADDRESS.test(v.trim()), {
  error: (i) => `${JSON.stringify(i.input)} is not one mail address; write e.g. ops@example.com or "Ops <ops@example.com>"`,
});

/** Where the path or its nearest existing parent is not a directory, that is the
 *  problem; null when it can be (or become) a directory. */
function notADirectory(path: string): string | null {
  for (let p = path; ; p = dirname(p)) {
    try {
      return statSync(p).isDirectory() ? null : p;
    } catch {
      if (p === '/') return null;
    }
  }
}

const archiveDirOf = (host: ConfigHost | null) =>
  absolutePath
    .superRefine((value, ctx) => {
      const problem = (message: string) => ctx.addIssue({ code: 'custom', message: `${JSON.stringify(value)} ${message}` });
      if (value === '/') return problem('is the root directory; name a directory of its own, e.g. /var/lib/docker-watchdog/archive');
      const normal = posix.normalize(value).replace(/\/+$/, '');
      if (normal !== value) return problem(`is not a normalized path; write ${JSON.stringify(normal || '/')}`);
      const engine = ENGINE_ROOTS.map((root) => archiveDirConflict(value, root)).find((c) => c !== null);
      if (engine) return problem(engine);
      const file = host ? notADirectory(value) : null;
      if (file !== null) return problem(file === value ? 'exists and is not a directory; name a directory' : `cannot be a directory: ${file} is not one; name a directory`);
    })
    .default('/var/lib/docker-watchdog/archive');

const level = (warning: string, critical: string) =>
  z
    .strictObject({ warning: percentage.prefault(warning), critical: percentage.prefault(critical) })
    .refine((l) => l.warning < l.critical, { message: 'warning must be below critical' })
    .prefault({});

const emailOf = (host: ConfigHost | null) => z
  .strictObject({
    host: oneLine(z.string().min(1)),
    port: z.number().int().min(1).max(65535).optional(),
    /** TLS from the first byte (port 465); otherwise STARTTLS when the server offers it. */
    secure: z.boolean().default(false),
    /** Refuse to send unless the connection is encrypted. */
    requireTls: z.boolean().default(false),
    trustSelfSigned: z.boolean().default(false),
    user: oneLine(z.string()).nullable().default(null),
    /** The password is never in the configuration: a file (its first line) or a variable;
     *  either must be there when the file is loaded, not only when mail is first due. */
    passwordFile: absolutePath
      .superRefine((value, ctx) => {
        if (!host?.sendsMail) return;
        try {
          if (!statSync(value).isFile()) throw Object.assign(new Error(), { code: 'not a file' });
          accessSync(value, constants.R_OK);
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          ctx.addIssue({ code: 'custom', message: `${JSON.stringify(value)} cannot be read (${code}); write the password into that file, or fix the path` });
        }
      })
      .nullable()
      .default(null),
    passwordEnv: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name')
      .superRefine((value, ctx) => {
        if (host?.sendsMail && host.env[value] === undefined) ctx.addIssue({ code: 'custom', message: `${value} is not set in the environment; set it where the watchdog runs (for systemd, EnvironmentFile= in the unit)` });
      })
      .nullable()
      .default(null),
    from: address,
    to: z.array(address).min(1, 'name at least one recipient'),
    subjectPrefix: oneLine(z.string()).default('[docker-watchdog]'),
  })
  .transform((e) => ({ ...e, port: e.port ?? (e.secure ? 465 : 587) }));

/** The schema; with a host, values are also checked against its files and environment. */
const schemaFor = (host: ConfigHost | null) => z.strictObject({
  /** Findings on the engine's space (DATA_SPACE_LOW, ...). */
  thresholds: z.strictObject({ data: level('80%', '90%'), metadata: level('80%', '90%'), inodes: level('80%', '90%') }).prefault({}),
  logs: z
    .strictObject({
      /** Rotate a live json-file log without max-size beyond this. */
      maxSize: size.prefault('100MB'),
      keep: z.number().int().min(1, 'keep at least 1 archive').default(5),
      archiveDir: archiveDirOf(host),
      /** Oldest archives go first beyond this (forensic bundles never do). */
      archiveBudget: size.prefault('5GB'),
      /** LOG_GROWTH above this. */
      maxGrowthPerDay: size.prefault('1GB'),
    })
    .prefault({}),
  containers: z
    .strictObject({
      exited: z
        .strictObject({
          maxAge: duration.prefault('24h'),
          keepLast: z.number().int().min(0).default(1),
          protectLabel: z.string().min(1).default('watchdog.keep'),
          protect: z.array(z.string()).default(() => []),
          removeVolumes: z.boolean().default(false),
        })
        .prefault({}),
    })
    .prefault({}),
  drift: z
    .strictObject({
      allow: z.array(z.string().startsWith('/', 'must be an absolute path glob, e.g. /tmp/**')).default(() => ['/tmp/**', '/run/**', '/var/run/**', '/var/tmp/**']),
      onSuspicious: z.enum(['hold', 'export-and-prune']).default('hold'),
      /** SETUID_DRIFT: at most this many changed files per container are stat-ed (one
       *  request each, under the container's lock); the rest are said to be unchecked. */
      maxModeChecks: z.number().int().min(0).default(1000),
      /** RUNNING_DRIFT (issue #13): a running container's `docker diff` at most this
       *  often; it walks the whole layer and holds the container's lock. */
      runningInterval: durationAtLeast(60_000, '1m').prefault('1h'),
      /** A pass starts no further running-drift check once its checks took this long:
       *  the rest stay due for the next pass (oldest first), and the daemon's rotations,
       *  which wait for its pass, are not held up by a host of many containers. */
      runningBudget: durationAtLeast(1_000, '1s').prefault('10s'),
      /** What a suspicious running container gets besides its alert and bundle. */
      onSuspiciousRunning: z.enum(['alert', 'pause']).default('alert'),
    })
    .prefault({}),
  /** Under disk pressure, prune sooner. */
  escalation: z
    .strictObject({
      warning: z.strictObject({ maxAge: duration.prefault('6h') }).prefault({}),
      critical: z.strictObject({ maxAge: duration.prefault('1h') }).prefault({}),
    })
    .prefault({}),
  /** df walks every writable layer and holds container locks: too costly for every
   *  timer run on a big host, so an answer is reused this long. */
  usage: z.strictObject({ maxAge: duration.prefault('1h') }).prefault({}),
  /** `watchdog watch`, the daemon (issue #11). */
  watch: z
    .strictObject({
      /** A full pass (what `check` does) this often. */
      interval: durationAtLeast(10_000, '10s').prefault('5m'),
      /** statfs of DockerRootDir (and containerd's root) this often. */
      spaceInterval: durationAtLeast(1_000, '1s').prefault('10s'),
      /** At most one rotation per container this often: a writer that refills its log at
       *  once must not make the daemon spin. */
      minRotateInterval: durationAtLeast(1_000, '1s').prefault('30s'),
      /** RUNAWAY_LOG / SPACE_RUNAWAY when the space left lasts less than this at the
       *  growth of the last minute. */
      horizon: durationAtLeast(60_000, '1m').prefault('1h'),
    })
    .prefault({}),
  /** The audit (issue #13): DOCKER_GROUP_MEMBERS, HOST_ROOT_MOUNT, PRIVILEGED_CONTAINER,
   *  NO_MAC and DAEMON_LOG_DEFAULTS in `report`, `check` and the daemon; SETUID_DRIFT
   *  wherever drift is read (its severity is set here too). */
  audit: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** Per-code severities that replace the audit's own, e.g. { NO_MAC: info }. */
      severity: z.partialRecord(z.enum(AUDIT_CODES), severitySchema).default(() => ({})),
      /** The group and user databases: who is in the socket's group. */
      groupFile: absolutePath.default('/etc/group'),
      passwdFile: absolutePath.default('/etc/passwd'),
      /** The engine's daemon.json; null: the --config-file of the dockerd that serves the
       *  socket, else /etc/docker/daemon.json for the default socket. */
      daemonConfig: absolutePath.nullable().default(null),
    })
    .prefault({}),
  alerts: z
    .strictObject({
      email: emailOf(host).nullable().default(null),
      cooldown: duration.prefault('6h'),
      heartbeat: duration.nullable().default(null),
    })
    .prefault({}),
});

export const configSchema = schemaFor(null);

export type Config = z.output<typeof configSchema>;

function describe(issue: z.core.$ZodIssue): string {
  const path = issue.path.join('.') || '(top level)';
  if (issue.code === 'unrecognized_keys') return `${path === '(top level)' ? '' : `${path}: `}${issue.keys.map((k) => `"${k}"`).join(', ')} is not a known setting`;
  if (issue.code === 'invalid_type') return `${path}: expected ${issue.expected}`;
  return `${path}: ${issue.message}`;
}

/** Parses configuration text; `source` names it in errors. Without a host, only the
 *  form of the values is checked. */
export function parseConfig(text: string, source: string, host: ConfigHost | null = null): Config {
  const document = parseDocument(text);
  if (document.errors.length > 0) {
    throw new ConfigError(`The configuration ${source} is not valid YAML: ${document.errors.map((e) => e.message.split('\n')[0]).join('; ')}.`);
  }
  const result = (host ? schemaFor(host) : configSchema).safeParse(document.toJS() ?? {});
  if (!result.success) {
    const problems = result.error.issues.map(describe);
    throw new ConfigError(`The configuration ${source} has ${problems.length} problem${problems.length > 1 ? 's' : ''}:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  }
  return result.data;
}

/** The configuration of a host without a file. */
export const defaultConfig = (): Config => configSchema.parse({});
