// What the operator decided, as the pure core reads it. The configuration file's schema
// (src/config/schema.ts) produces a value of these shapes, with the defaults; the core
// declares only what it uses, so it never depends on how the settings are written down.
// Durations are milliseconds, sizes bytes, percentages fractions (0..1).

import type { AuditCode } from './audit.js';

export interface Level {
  warning: number;
  critical: number;
}

/** When the engine's space is worth a finding (DATA_SPACE_LOW, ...). */
export interface Thresholds {
  data: Level;
  metadata: Level;
  inodes: Level;
}

/** How live json-file logs with no max-size are handled (issue #4). */
export interface LogPolicy {
  /** Rotate a live, unbounded json-file log beyond this. */
  maxSize: number;
  /** LOG_GROWTH above this many bytes a day. */
  maxGrowthPerDay: number;
  /** Archives kept per container. */
  keep: number;
  archiveDir: string;
  /** Oldest archives go first beyond this, across containers. */
  archiveBudget: number;
}

/** Which exited containers are pruned, and what protects them (issue #4). */
export interface ExitedPolicy {
  /** Prune containers that finished longer ago than this. */
  maxAge: number;
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
  /** SETUID_DRIFT: at most this many changed files' modes read per container. */
  maxModeChecks: number;
  /** How often a running container's drift is checked at most (ms), and what a
   *  suspicious one gets besides its alert and bundle (issue #13). */
  runningInterval: number;
  /** A pass starts no further check once its checks took this long (ms). */
  runningBudget: number;
  onSuspiciousRunning: 'alert' | 'pause';
}

/** Stricter ages under disk pressure. */
export interface EscalationPolicy {
  warning: { maxAge: number };
  critical: { maxAge: number };
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

/** The audit (issue #13): whether `report` and `check` (and the daemon) include its
 *  findings, and per-code severities that replace the audit's own. */
export interface AuditPolicy {
  enabled: boolean;
  severity: Partial<Record<AuditCode, 'info' | 'warning' | 'critical'>>;
}
