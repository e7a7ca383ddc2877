// Command-line wiring: flags become typed options, options go to a command. Commands
// return the exit code; errors are thrown and turned into exit codes by main.ts.

import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { reportCommand } from './commands/report.js';
import type { Io } from './commands/io.js';
import { UsageError } from './errors.js';

const EXIT_CODES_HELP = `
Exit codes:
  0  OK            no warning or critical finding
  1  warning       at least one warning finding
  2  critical      at least one critical finding
  3  unknown       the engine could not be reached, or a collector could not run
  64 usage error   a flag or argument is wrong
  78 config error  the configuration cannot be used`;

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a whole number above 0.');
  return n;
}

export function buildProgram(io: Io, setExitCode: (code: number) => void): Command {
  const program = new Command()
    .name('watchdog')
    .description('Keeps a Docker host from running out of disk: log growth, thin-pool and filesystem space, exited containers.')
    .version('0.1.0')
    .addOption(new Option('-H, --host <url>', 'engine address, e.g. unix:///var/run/docker.sock or tcp://host:2376 (default: DOCKER_HOST, then the local socket)'))
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .addHelpText('after', EXIT_CODES_HELP);

  program
    .command('report')
    .description('Show where the disk is going: engine, storage, system df, logs, exited containers, findings. Read-only.')
    .option('--json', 'print the report as JSON (stable field names, bytes as integers)', false)
    .option('--no-color', 'never colour the text report (colour is used only on a terminal)')
    .option('--top <n>', 'how many logs and exited containers to list', positiveInt, 5)
    .addHelpText('after', EXIT_CODES_HELP)
    .action(async (opts: { json: boolean; color: boolean; top: number }) => {
      setExitCode(await reportCommand({ host: program.opts<{ host?: string }>().host, ...opts }, io));
    });

  return program;
}

/** Runs the command line; returns the exit code. */
export async function runCli(argv: string[], io: Io): Promise<number> {
  let exitCode = 0;
  const program = buildProgram(io, (code) => (exitCode = code));
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are not errors; commander has already printed its message.
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return 0;
      throw new UsageError('');
    }
    throw error;
  }
  if (argv.length === 0) {
    program.outputHelp();
    return 64;
  }
  return exitCode;
}
