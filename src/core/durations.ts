// Durations: the one place that reads and writes them. Reading needs a unit ("24" would
// be 24 ms to the `ms` package, and "1M" one minute, neither what was meant); writing
// is the `ms` package's long form ("2 seconds", "3 days") everywhere a person reads one.

import ms from 'ms';

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

const WITH_UNIT = /^\s*\d+(\.\d+)?\s*(ms|s|m|h|d|w)\s*$/;

/** Milliseconds from "30m", "1.5h", "7d"; null when it is not a duration with a unit. */
export function parseDuration(text: string): number | null {
  if (!WITH_UNIT.test(text)) return null;
  const value = ms(text.trim() as ms.StringValue) as number | undefined;
  return typeof value === 'number' && value >= 0 ? value : null;
}

/** The hint every refusal of a duration ends with. */
export const DURATION_HINT = 'write e.g. 30m, 1h or 7d';

/** "500 ms", "2 seconds", "3 hours", "2 days": rounded to its largest unit. */
export function formatDuration(msValue: number): string {
  return ms(Math.max(0, Math.round(msValue)), { long: true });
}

/** "3 days ago", "5 minutes ago", "just now": coarse on purpose, the exact time is in --json. */
export function ago(iso: string, now: Date): string {
  const elapsed = now.getTime() - Date.parse(iso);
  return elapsed < MINUTE ? 'just now' : `${formatDuration(elapsed)} ago`;
}
