// What a container's log configuration means for the disk. Pure.

import type { LogConfigFacts } from './model.js';
import { parseEngineSize } from './units.js';

/** Drivers that write under DockerRootDir. Every other driver (journald, syslog,
 *  fluentd, none...) sends the log elsewhere, so it cannot fill the engine's disk. */
const FILE_DRIVERS = new Set(['json-file', 'local']);

/**
 * From inspect's HostConfig.LogConfig. The engine merges the daemon's default
 * log-opts into it at create time, so this is the effective configuration. Options
 * cannot be changed on an existing container: a fix only lands on re-creation.
 */
export function logConfigFacts(driver: string, options: Record<string, string> | null | undefined): LogConfigFacts {
  const opts = options ?? {};
  if (driver === 'json-file') {
    // max-size is decimal (10m = 10,000,000 bytes); max-file defaults to 1 and only
    // counts when max-size is set.
    const maxSizeBytes = opts['max-size'] === undefined ? null : parseEngineSize(opts['max-size']);
    const maxFiles = maxSizeBytes === null ? null : Number.parseInt(opts['max-file'] ?? '1', 10) || 1;
    return { driver, maxSizeBytes, maxFiles, bounded: maxSizeBytes !== null && maxSizeBytes > 0 };
  }
  if (driver === 'local') {
    // The local driver always rotates: 20 MB x 5 files unless told otherwise.
    const maxSizeBytes = parseEngineSize(opts['max-size'] ?? '20m');
    const maxFiles = Number.parseInt(opts['max-file'] ?? '5', 10) || 5;
    return { driver, maxSizeBytes, maxFiles, bounded: true };
  }
  return { driver, maxSizeBytes: null, maxFiles: null, bounded: !FILE_DRIVERS.has(driver) };
}

/** The most a bounded log can hold on disk: max-size x max-file. */
export function logLimitBytes(config: LogConfigFacts): number | null {
  return config.maxSizeBytes === null || config.maxFiles === null ? null : config.maxSizeBytes * config.maxFiles;
}

/** Rotated siblings of a json-file log: `<id>-json.log.1`, `<id>-json.log.2.gz`... */
export function isRotatedSibling(liveName: string, candidate: string): boolean {
  if (!candidate.startsWith(`${liveName}.`)) return false;
  return /^\d+(\.gz)?$/.test(candidate.slice(liveName.length + 1));
}
