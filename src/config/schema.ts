// The configuration file, by a schema: the one place that knows its keys, its
// defaults and its types (`Config` is what the schema gives). Parsing reports every
// problem at once, each with its path and a hint. Loaded only when there is a file to
// parse (config/load.ts): zod and yaml are 1 MB a run without a file need not load.
//
// Values come out in the units the core reads (core/policy.ts): durations in
// milliseconds, sizes in bytes (decimal, as the engine's own: 1GB = 1,000,000,000),
// percentages as fractions. Key names are the file's own.

import { parseDocument } from 'yaml';
import { z } from 'zod';
import { DURATION_HINT, parseDuration } from '../core/durations.js';
import { parseEngineSize } from '../core/units.js';
import { ConfigError } from '../errors.js';

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

const size = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const bytes = typeof value === 'number' ? value : parseEngineSize(value);
  if (bytes === null || !(bytes > 0)) {
    ctx.addIssue({ code: 'custom', message: `${JSON.stringify(value)} is not a size; write e.g. 100MB` });
    return z.NEVER;
  }
  return bytes;
});

const duration = z.string().transform((value, ctx) => {
  const ms = parseDuration(value);
  if (ms === null) {
    ctx.addIssue({ code: 'custom', message: `${JSON.stringify(value)} is not a duration; ${DURATION_HINT}` });
    return z.NEVER;
  }
  return ms;
});

const absolutePath = z.string().startsWith('/', 'must be an absolute path');

const level = (warning: string, critical: string) =>
  z
    .strictObject({ warning: percentage.prefault(warning), critical: percentage.prefault(critical) })
    .refine((l) => l.warning < l.critical, { message: 'warning must be below critical' })
    .prefault({});

const email = z
  .strictObject({
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535).optional(),
    /** TLS from the first byte (port 465); otherwise STARTTLS when the server offers it. */
    secure: z.boolean().default(false),
    /** Refuse to send unless the connection is encrypted. */
    requireTls: z.boolean().default(false),
    trustSelfSigned: z.boolean().default(false),
    user: z.string().nullable().default(null),
    /** The password is never in the configuration: a file (its first line) or a variable. */
    passwordFile: absolutePath.nullable().default(null),
    passwordEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name').nullable().default(null),
    from: z.string().min(3),
    to: z.array(z.string().min(3)).min(1, 'name at least one recipient'),
    subjectPrefix: z.string().default('[docker-watchdog]'),
  })
  .transform((e) => ({ ...e, port: e.port ?? (e.secure ? 465 : 587) }));

export const configSchema = z.strictObject({
  /** Findings on the engine's space (DATA_SPACE_LOW, ...). */
  thresholds: z.strictObject({ data: level('80%', '90%'), metadata: level('80%', '90%'), inodes: level('80%', '90%') }).prefault({}),
  logs: z
    .strictObject({
      /** Rotate a live json-file log without max-size beyond this. */
      maxSize: size.prefault('100MB'),
      keep: z.number().int().min(1, 'keep at least 1 archive').default(5),
      archiveDir: absolutePath.default('/var/lib/docker-watchdog/archive'),
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
  alerts: z
    .strictObject({
      email: email.nullable().default(null),
      cooldown: duration.prefault('6h'),
      heartbeat: duration.nullable().default(null),
    })
    .prefault({}),
});

export type Config = z.output<typeof configSchema>;

function describe(issue: z.core.$ZodIssue): string {
  const path = issue.path.join('.') || '(top level)';
  if (issue.code === 'unrecognized_keys') return `${path === '(top level)' ? '' : `${path}: `}${issue.keys.map((k) => `"${k}"`).join(', ')} is not a known setting`;
  if (issue.code === 'invalid_type') return `${path}: expected ${issue.expected}`;
  return `${path}: ${issue.message}`;
}

/** Parses configuration text; `source` names it in errors. */
export function parseConfig(text: string, source: string): Config {
  const document = parseDocument(text);
  if (document.errors.length > 0) {
    throw new ConfigError(`The configuration ${source} is not valid YAML: ${document.errors.map((e) => e.message.split('\n')[0]).join('; ')}.`);
  }
  const result = configSchema.safeParse(document.toJS() ?? {});
  if (!result.success) {
    const problems = result.error.issues.map(describe);
    throw new ConfigError(`The configuration ${source} has ${problems.length} problem${problems.length > 1 ? 's' : ''}:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  }
  return result.data;
}

/** The configuration of a host without a file. */
export const defaultConfig = (): Config => configSchema.parse({});
