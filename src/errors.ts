// Errors a user can act on. Each says which failure it is (core/outcome.ts turns that
// into the exit code, in main.ts alone). Messages are one sentence with the next step.

import type { Failure } from './core/outcome.js';

export class WatchdogError extends Error {
  constructor(
    message: string,
    readonly failure: Failure,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Bad flags or arguments: EX_USAGE (64). */
export class UsageError extends WatchdogError {
  constructor(message: string) {
    super(message, 'usage');
  }
}

/** A configuration that cannot be used: EX_CONFIG (78). */
export class ConfigError extends WatchdogError {
  constructor(message: string) {
    super(message, 'config');
  }
}

/** The engine, or the state store's lock, could not be had at all: UNKNOWN (3) for
 *  Nagios-style callers. */
export class UnknownError extends WatchdogError {
  constructor(message: string) {
    super(message, 'unknown');
  }
}

/** The engine could not be reached at all. */
export class EngineUnreachableError extends UnknownError {}

/** An error's message as a clause inside one of our sentences: without its full stop. */
export function reasonOf(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/\.$/, '');
}
