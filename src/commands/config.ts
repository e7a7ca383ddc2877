// `watchdog config check [FILE]` and `watchdog config init [FILE]`.

import { existsSync, writeFileSync } from 'node:fs';
import { DEFAULT_CONFIG_PATH, loadConfig } from '../config/config.js';
import { UsageError } from '../errors.js';
import type { Io } from './io.js';

/** The default configuration, commented: what `config init` writes. */
export const DEFAULT_CONFIG_TEXT = `# docker-watchdog configuration. Every key is optional; these are the defaults.
# Sizes are decimal, as Docker's own (1GB = 1,000,000,000 bytes); durations like 30m, 6h, 7d.

thresholds:                 # findings on the engine's space (DATA_SPACE_LOW, ...)
  data:     { warning: 80%, critical: 90% }
  metadata: { warning: 80%, critical: 90% }
  inodes:   { warning: 80%, critical: 90% }

logs:
  maxSize: 100MB            # rotate a live json-file log without max-size beyond this
  keep: 5                   # archives kept per container
  archiveDir: /var/lib/docker-watchdog/archive
  archiveBudget: 5GB        # oldest archives go first beyond this (forensic bundles never do)
  maxGrowthPerDay: 1GB      # LOG_GROWTH above this

containers:
  exited:
    maxAge: 24h             # prune containers that finished longer ago than this
    keepLast: 1             # newest exited containers kept per image
    protectLabel: watchdog.keep
    protect: []             # name or image patterns never pruned, e.g. ["db-*", "postgres:*"]
    removeVolumes: false

drift:
  allow: [/tmp/**, /run/**, /var/run/**, /var/tmp/**]   # plus the watchdog.drift.allow label
  onSuspicious: hold        # or export-and-prune

escalation:                 # under disk pressure, prune sooner
  warning:  { maxAge: 6h }
  critical: { maxAge: 1h }

usage:
  maxAge: 1h                # reuse a docker system df answer this long

alerts:
  cooldown: 6h              # a problem that keeps firing is mailed again after this
  # heartbeat: 24h          # an "all quiet" mail when nothing was sent for this long
  # email:                  # no email section: no mail
  #   host: mail.example.com
  #   port: 587             # 465 with secure: true
  #   secure: false         # TLS from the start; otherwise STARTTLS when offered
  #   requireTls: true      # refuse to send unencrypted
  #   trustSelfSigned: false
  #   user: watchdog
  #   passwordFile: /etc/docker-watchdog/smtp-password   # or passwordEnv: SMTP_PASSWORD
  #   from: watchdog@example.com
  #   to: [ops@example.com]
  #   subjectPrefix: "[docker-watchdog]"
`;

export async function configCheckCommand(file: string | undefined, io: Io): Promise<number> {
  const path = file ?? DEFAULT_CONFIG_PATH;
  if (!existsSync(path)) {
    if (file) throw new UsageError(`There is no configuration at ${file}; watchdog config init ${file} writes one.`);
    io.stdout.write(`No configuration at ${path}: the defaults apply (watchdog config init prints them).\n`);
    return 0;
  }
  await loadConfig(path); // throws a ConfigError (exit 78) listing every problem
  io.stdout.write(`${path}: OK\n`);
  return 0;
}

export function configInitCommand(file: string | undefined, io: Io): number {
  if (!file) {
    io.stdout.write(DEFAULT_CONFIG_TEXT);
    return 0;
  }
  if (existsSync(file)) throw new UsageError(`${file} exists already; remove it first, or run watchdog config init without a file to print the defaults.`);
  writeFileSync(file, DEFAULT_CONFIG_TEXT, { mode: 0o644 });
  io.stdout.write(`wrote ${file}\n`);
  return 0;
}
