// Parses the configuration file by a schema into a typed value. Every problem is
// reported at once, each with its path and a hint. Only the keys this version uses are
// known; issue #4 adds the retention policies.

import { parseDocument } from 'yaml';
import { z } from 'zod';
import { DEFAULT_THRESHOLDS } from '../core/evaluate.js';
import { parseEngineSize } from '../core/units.js';
import { ConfigError } from '../errors.js';
import ms from 'ms';
import { DEFAULT_CONFIG, type Config } from './config.js';

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

// Sizes are decimal, as the engine's own (go-units): 1GB = 1,000,000,000 bytes.
const size = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const bytes = typeof value === 'number' ? value : parseEngineSize(value);
  if (bytes === null || !(bytes > 0)) {
    ctx.addIssue({ code: 'custom', message: `${JSON.stringify(value)} is not a size; write e.g. 100MB` });
    return z.NEVER;
  }
  return bytes;
});

// Durations as "30m", "1h", "7d".
const duration = z.string().transform((value, ctx) => {
  // A unit is required: "24" would be 24 ms, and "1M" one minute, not what was meant.
  const msValue = /^\s*\d+(\.\d+)?\s*(ms|s|m|h|d|w)\s*$/.test(value) ? (ms(value.trim() as ms.StringValue) as number | undefined) : undefined;
  if (typeof msValue !== 'number' || !(msValue >= 0)) {
    ctx.addIssue({ code: 'custom', message: `${JSON.stringify(value)} is not a duration; write e.g. 30m, 1h or 7d` });
    return z.NEVER;
  }
  return msValue;
});

const level = (defaults: { warning: number; critical: number }) =>
  z
    .object({ warning: percentage.optional(), critical: percentage.optional() })
    .strict()
    .optional()
    .transform((l) => ({ warning: l?.warning ?? defaults.warning, critical: l?.critical ?? defaults.critical }))
    .refine((l) => l.warning < l.critical, { message: 'warning must be below critical' });

const schema = z
  .object({
    thresholds: z
      .object({ data: level(DEFAULT_THRESHOLDS.data), metadata: level(DEFAULT_THRESHOLDS.metadata), inodes: level(DEFAULT_THRESHOLDS.inodes) })
      .strict()
      .optional(),
    logs: z
      .object({
        maxGrowthPerDay: size.optional(),
        maxSize: size.optional(),
        keep: z.number().int().min(1, 'keep at least 1 archive').optional(),
        archiveDir: z.string().startsWith('/', 'must be an absolute path').optional(),
        archiveBudget: size.optional(),
      })
      .strict()
      .optional(),
    usage: z.object({ maxAge: duration.optional() }).strict().optional(),
    containers: z
      .object({
        exited: z
          .object({
            maxAge: duration.optional(),
            keepLast: z.number().int().min(0).optional(),
            protectLabel: z.string().min(1).optional(),
            protect: z.array(z.string()).optional(),
            removeVolumes: z.boolean().optional(),
          })
          .strict()
          .optional(),
      })
      .strict()
      .optional(),
    drift: z
      .object({
        allow: z.array(z.string().startsWith('/', 'must be an absolute path glob, e.g. /tmp/**')).optional(),
        onSuspicious: z.enum(['hold', 'export-and-prune']).optional(),
      })
      .strict()
      .optional(),
    alerts: z
      .object({
        email: z
          .object({
            host: z.string().min(1),
            port: z.number().int().min(1).max(65535).optional(),
            secure: z.boolean().optional(),
            requireTls: z.boolean().optional(),
            trustSelfSigned: z.boolean().optional(),
            user: z.string().optional(),
            passwordFile: z.string().startsWith('/', 'must be an absolute path').optional(),
            passwordEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name').optional(),
            from: z.string().min(3),
            to: z.array(z.string().min(3)).min(1, 'name at least one recipient'),
            subjectPrefix: z.string().optional(),
          })
          .strict()
          .optional(),
        cooldown: duration.optional(),
        heartbeat: duration.optional(),
      })
      .strict()
      .optional(),
    escalation: z
      .object({
        warning: z.object({ maxAge: duration.optional() }).strict().optional(),
        critical: z.object({ maxAge: duration.optional() }).strict().optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

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
  const result = schema.safeParse(document.toJS() ?? {});
  if (!result.success) {
    const problems = result.error.issues.map(describe);
    throw new ConfigError(`The configuration ${source} has ${problems.length} problem${problems.length > 1 ? 's' : ''}:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  }
  const parsed = result.data;
  return {
    thresholds: {
      ...DEFAULT_THRESHOLDS,
      data: parsed.thresholds?.data ?? DEFAULT_THRESHOLDS.data,
      metadata: parsed.thresholds?.metadata ?? DEFAULT_THRESHOLDS.metadata,
      inodes: parsed.thresholds?.inodes ?? DEFAULT_THRESHOLDS.inodes,
      logGrowthBytesPerDay: parsed.logs?.maxGrowthPerDay ?? DEFAULT_THRESHOLDS.logGrowthBytesPerDay,
    },
    logs: {
      maxSizeBytes: parsed.logs?.maxSize ?? DEFAULT_CONFIG.logs.maxSizeBytes,
      keep: parsed.logs?.keep ?? DEFAULT_CONFIG.logs.keep,
      archiveDir: parsed.logs?.archiveDir ?? DEFAULT_CONFIG.logs.archiveDir,
      archiveBudgetBytes: parsed.logs?.archiveBudget ?? DEFAULT_CONFIG.logs.archiveBudgetBytes,
    },
    containers: {
      maxAgeMs: parsed.containers?.exited?.maxAge ?? DEFAULT_CONFIG.containers.maxAgeMs,
      keepLast: parsed.containers?.exited?.keepLast ?? DEFAULT_CONFIG.containers.keepLast,
      protectLabel: parsed.containers?.exited?.protectLabel ?? DEFAULT_CONFIG.containers.protectLabel,
      protect: parsed.containers?.exited?.protect ?? DEFAULT_CONFIG.containers.protect,
      removeVolumes: parsed.containers?.exited?.removeVolumes ?? DEFAULT_CONFIG.containers.removeVolumes,
    },
    drift: {
      allow: parsed.drift?.allow ?? DEFAULT_CONFIG.drift.allow,
      onSuspicious: parsed.drift?.onSuspicious ?? DEFAULT_CONFIG.drift.onSuspicious,
    },
    escalation: {
      warning: { maxAgeMs: parsed.escalation?.warning?.maxAge ?? DEFAULT_CONFIG.escalation.warning.maxAgeMs },
      critical: { maxAgeMs: parsed.escalation?.critical?.maxAge ?? DEFAULT_CONFIG.escalation.critical.maxAgeMs },
    },
    alerts: {
      email: parsed.alerts?.email
        ? {
            host: parsed.alerts.email.host,
            secure: parsed.alerts.email.secure ?? false,
            port: parsed.alerts.email.port ?? (parsed.alerts.email.secure ? 465 : 587),
            requireTls: parsed.alerts.email.requireTls ?? false,
            trustSelfSigned: parsed.alerts.email.trustSelfSigned ?? false,
            user: parsed.alerts.email.user ?? null,
            passwordFile: parsed.alerts.email.passwordFile ?? null,
            passwordEnv: parsed.alerts.email.passwordEnv ?? null,
            from: parsed.alerts.email.from,
            to: parsed.alerts.email.to,
            subjectPrefix: parsed.alerts.email.subjectPrefix ?? '[docker-watchdog]',
          }
        : null,
      cooldownMs: parsed.alerts?.cooldown ?? DEFAULT_CONFIG.alerts.cooldownMs,
      heartbeatMs: parsed.alerts?.heartbeat ?? null,
    },
    usageMaxAgeMs: parsed.usage?.maxAge ?? DEFAULT_CONFIG.usageMaxAgeMs,
  };
}

