// Errors a user can act on. Each carries the exit code it maps to; main.ts is the only
// place that turns them into an exit. Messages are one sentence with the next step.

export class WatchdogError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Bad flags or arguments: EX_USAGE. */
export class UsageError extends WatchdogError {
  constructor(message: string) {
    super(message, 64);
  }
}

/** A configuration that cannot be used: EX_CONFIG. */
export class ConfigError extends WatchdogError {
  constructor(message: string) {
    super(message, 78);
  }
}

/** The engine could not be reached at all: UNKNOWN for Nagios-style callers. */
export class EngineUnreachableError extends WatchdogError {
  constructor(message: string) {
    super(message, 3);
  }
}
