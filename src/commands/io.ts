// The world a command may touch besides the engine: passed in so tests can run commands
// in-process with their own streams, environment and clock.

export interface Io {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  now: () => Date;
  /** Whether stdout is a terminal: a person reads it. */
  stdoutIsTerminal: boolean;
  /** Whether stdout is a terminal that wants colour (NO_COLOR, TERM=dumb say no). */
  colorCapable: boolean;
}

/** JSON on stdout: indented for a person at a terminal, compact for the scripts that
 *  read it (a thousand containers make a megabyte of indentation). */
export function writeJson(io: Io, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value, null, io.stdoutIsTerminal ? 2 : undefined)}\n`);
}

export function processIo(): Io {
  const env = process.env;
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env,
    now: () => new Date(),
    stdoutIsTerminal: Boolean(process.stdout.isTTY),
    colorCapable: Boolean(process.stdout.isTTY) && !('NO_COLOR' in env) && env.TERM !== 'dumb',
  };
}
