// The configuration file (YAML): where it is, and the typed value it becomes. Parsing
// lives in parse.ts and is loaded only when there is a file to parse, so the usual
// run without one does not pay for the YAML and schema libraries at start-up.

import { readFileSync } from 'node:fs';
import { DEFAULT_THRESHOLDS, type Thresholds } from '../core/evaluate.js';
import { ConfigError } from '../errors.js';

export const DEFAULT_CONFIG_PATH = '/etc/docker-watchdog/config.yaml';

/** How live json-file logs with no max-size are rotated (issue #4). */
export interface LogPolicy {
  /** Rotate a live, unbounded json-file log beyond this. */
  maxSizeBytes: number;
  /** Archives kept per container. */
  keep: number;
  archiveDir: string;
  /** Oldest archives go first beyond this, across containers. */
  archiveBudgetBytes: number;
}

/** Which exited containers are pruned, and what protects them (issue #4). */
export interface ContainerPolicy {
  /** Prune containers that finished longer ago than this. */
  maxAgeMs: number;
  /** The newest exited containers kept per image. */
  keepLast: number;
  protectLabel: string;
  /** Name or image patterns (globs) never pruned. */
  protect: string[];
  removeVolumes: boolean;
}

export interface DriftPolicy {
  /** Globs of paths a container may change. */
  allow: string[];
  onSuspicious: 'hold' | 'export-and-prune';
}

/** Stricter ages under disk pressure: a level absent here keeps the normal maxAge. */
export interface EscalationPolicy {
  warning: { maxAgeMs: number | null };
  critical: { maxAgeMs: number | null };
}

/** Email alerts (issue #5). */
export interface EmailSettings {
  host: string;
  port: number;
  /** TLS from the first byte (port 465); otherwise STARTTLS when the server offers it. */
  secure: boolean;
  /** Refuse to send unless the connection is encrypted (STARTTLS required). */
  requireTls: boolean;
  /** Accept a self-signed or otherwise unverifiable server certificate. */
  trustSelfSigned: boolean;
  user: string | null;
  /** Where the password is: a file (first line), or an environment variable. Never in
   *  the configuration itself. */
  passwordFile: string | null;
  passwordEnv: string | null;
  from: string;
  to: string[];
  subjectPrefix: string;
}

export interface AlertPolicy {
  email: EmailSettings | null;
  /** A key that keeps firing is notified again after this. */
  cooldownMs: number;
  /** An "all quiet" digest when nothing was sent for this long; null: off. */
  heartbeatMs: number | null;
}

export interface Config {
  thresholds: Thresholds;
  alerts: AlertPolicy;
  logs: LogPolicy;
  containers: ContainerPolicy;
  drift: DriftPolicy;
  escalation: EscalationPolicy;
  /** How long a `docker system df` answer is reused: df walks every writable layer and
   *  holds container locks, too costly for every timer run on a big host. */
  usageMaxAgeMs: number;
}

export const DEFAULT_LOG_POLICY: LogPolicy = {
  maxSizeBytes: 100_000_000,
  keep: 5,
  archiveDir: '/var/lib/docker-watchdog/archive',
  archiveBudgetBytes: 5_000_000_000,
};

const HOUR = 3_600_000;

export const DEFAULT_CONFIG: Config = {
  thresholds: DEFAULT_THRESHOLDS,
  logs: DEFAULT_LOG_POLICY,
  containers: { maxAgeMs: 24 * HOUR, keepLast: 1, protectLabel: 'watchdog.keep', protect: [], removeVolumes: false },
  drift: { allow: ['/tmp/**', '/run/**', '/var/run/**', '/var/tmp/**'], onSuspicious: 'hold' },
  escalation: { warning: { maxAgeMs: 6 * HOUR }, critical: { maxAgeMs: 1 * HOUR } },
  alerts: { email: null, cooldownMs: 6 * HOUR, heartbeatMs: null },
  usageMaxAgeMs: HOUR,
};

/** Reads --config FILE, or the default path if it exists, or gives the defaults. */
export async function loadConfig(path: string | undefined): Promise<Config> {
  const file = path ?? DEFAULT_CONFIG_PATH;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (path === undefined && code === 'ENOENT') return DEFAULT_CONFIG;
    throw new ConfigError(`Cannot read the configuration ${file} (${code}); check the path given to --config.`);
  }
  const { parseConfig } = await import('./parse.js');
  return parseConfig(text, file);
}
