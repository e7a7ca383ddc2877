// How a run ended, and the one function that turns that into an exit code (main.ts is
// its only caller). Every command ends in an Outcome: the findings it stands by, or the
// failure that stopped it (a usage error, a configuration error, an engine or store it
// could not use).

import type { Finding } from './model.js';

export type Failure = 'usage' | 'config' | 'unknown';

export type Outcome = { findings: readonly Finding[] } | { failure: Failure };

export const EXIT = { ok: 0, warning: 1, critical: 2, unknown: 3, usage: 64, config: 78 } as const;

/** Nothing to stand by: help, version, a command that only prints. */
export const DONE: Outcome = { findings: [] };

/**
 * 64 (EX_USAGE) and 78 (EX_CONFIG) for runs that could not start; otherwise the worst
 * finding, in the order monitoring plugins combine states: critical beats warning beats
 * unknown (a check that could not run: COLLECTOR_FAILED, or a failure) beats ok.
 */
export function exitCodeOf(outcome: Outcome): number {
  if ('failure' in outcome) return EXIT[outcome.failure];
  const { findings } = outcome;
  if (findings.some((f) => f.severity === 'critical')) return EXIT.critical;
  if (findings.some((f) => f.severity === 'warning' && f.code !== 'COLLECTOR_FAILED')) return EXIT.warning;
  if (findings.some((f) => f.code === 'COLLECTOR_FAILED')) return EXIT.unknown;
  return EXIT.ok;
}
