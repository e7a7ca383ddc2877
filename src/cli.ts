// Command-line wiring: flags become typed options, options go to a command. Commands
// return the exit code; errors are thrown and turned into exit codes by main.ts.

import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { alertFailureCommand, alertTestCommand } from './commands/alert.js';
import { checkCommand } from './commands/check.js';
import { configCheckCommand, configInitCommand } from './commands/config.js';
import { driftCommand } from './commands/drift.js';
import { journalCommand } from './commands/journal.js';
import { reportCommand } from './commands/report.js';
import { pruneCommand } from './commands/prune.js';
import { rotateCommand } from './commands/rotate.js';
import type { Io } from './commands/io.js';
import { DEFAULT_CONFIG_PATH } from './config/config.js';
import { UsageError } from './errors.js';

const EXIT_CODES_HELP = `
Exit codes:
  0  OK            no warning or critical finding
  1  warning       at least one warning finding
  2  critical      at least one critical finding
  3  unknown       the engine could not be reached, a collector could not run, or
                   another run held the state store's lock for too long
  64 usage error   a flag or argument is wrong
  78 config error  the configuration cannot be used`;

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a whole number above 0.');
  return n;
}

function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a number of seconds, 0 or more.');
  return n;
}

interface GlobalOptions {
  host?: string;
  config?: string;
  state?: string;
  wait: number;
}

export function buildProgram(io: Io, setExitCode: (code: number) => void): Command {
  const program = new Command()
    .name('watchdog')
    .description('Keeps a Docker host from running out of disk: log growth, thin-pool and filesystem space, exited containers.')
    .version('0.1.0')
    .addOption(new Option('-H, --host <url>', 'engine address, e.g. unix:///var/run/docker.sock or tcp://host:2376 (default: DOCKER_HOST, then the local socket)'))
    .addOption(new Option('-c, --config <file>', `configuration file (default: ${DEFAULT_CONFIG_PATH} if it exists, else built-in defaults)`))
    .addOption(new Option('--state <path>', 'state store (default: /var/lib/docker-watchdog/state.db as root, else $XDG_STATE_HOME/docker-watchdog/state.db)'))
    .addOption(new Option('--wait <seconds>', "how long to wait for another run's lock on the state store before giving up with exit 3").argParser(seconds).default(10))
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .addHelpText('after', EXIT_CODES_HELP);
  const globals = () => program.opts<GlobalOptions>();

  program
    .command('report')
    .description('Show where the disk is going: engine, storage and its trend, system df, logs, exited containers, findings. Changes nothing on the host; records the run in the state store.')
    .option('--json', 'print the report as JSON (stable field names, bytes as integers)', false)
    .option('--no-color', 'never colour the text report (colour is used only on a terminal)')
    .option('--top <n>', 'how many logs, exited containers and findings of one kind to list', positiveInt, 5)
    .option('--fresh', 'ask the engine for docker system df now; by default an answer younger than usage.maxAge (1h) is reused, as df is costly', false)
    .addHelpText('after', EXIT_CODES_HELP)
    .action(async (opts: { json: boolean; color: boolean; top: number; fresh: boolean }) => {
      setExitCode(await reportCommand({ ...globals(), ...opts }, io));
    });

  program
    .command('check')
    .description(
      'One pass for a systemd timer or cron: report, rotate logs over logs.maxSize, prune exited containers by the policy (holding suspicious ones), record, and print only what was done. The exit code is the worst finding.',
    )
    .option('--dry-run', 'print the plans, with a reason for each container, and change nothing', false)
    .option('--json', 'print the findings, plans and results as JSON', false)
    .addHelpText('after', EXIT_CODES_HELP)
    .action(async (opts: { dryRun: boolean; json: boolean }) => {
      setExitCode(await checkCommand({ ...globals(), ...opts }, io));
    });

  program
    .command('rotate')
    .description(
      'Rotate live json-file logs that have no max-size, without losing a line: all over logs.maxSize, or the CONTAINERs named (whatever their size). The container is paused for the last copy only. Logs the engine rotates itself are never touched.',
    )
    .argument('[container...]', 'names, ids or id prefixes')
    .option('--dry-run', 'print the plan, with a reason for each container, and change nothing', false)
    .option('--json', 'print the plan and the results as JSON', false)
    .action(async (containers: string[], opts: { dryRun: boolean; json: boolean }) => {
      setExitCode(await rotateCommand({ ...globals(), ...opts, containers }, io));
    });

  program
    .command('prune')
    .description(
      'Remove exited containers past containers.exited.maxAge (sooner under disk pressure), except running, labelled, protected and the newest per image; any whose docker diff shows changes outside drift.allow is held with a forensic bundle.',
    )
    .option('--dry-run', 'print the plan, with a reason for each container, and change nothing', false)
    .option('--json', 'print the plan and the results as JSON', false)
    .action(async (opts: { dryRun: boolean; json: boolean }) => {
      setExitCode(await pruneCommand({ ...globals(), ...opts }, io));
    });

  program
    .command('drift')
    .description("Classify what docker diff shows of exited containers (or the CONTAINERs named) against drift.allow; suspicious ones get a forensic bundle.")
    .argument('[container...]', 'names, ids or id prefixes')
    .option('--dry-run', 'classify only: write no forensic bundle', false)
    .option('--json', 'print the classification as JSON', false)
    .action(async (containers: string[], opts: { dryRun: boolean; json: boolean }) => {
      setExitCode(await driftCommand({ ...globals(), ...opts, containers }, io));
    });

  const config = program.command('config').description('Check or write the configuration file.');
  config
    .command('check')
    .description(`Check a configuration file (default ${DEFAULT_CONFIG_PATH}); every problem is listed, exit 78.`)
    .argument('[file]')
    .action(async (file: string | undefined) => {
      setExitCode(await configCheckCommand(file ?? globals().config, io));
    });
  config
    .command('init')
    .description('Print the default configuration, commented, or write it to FILE (never over an existing one).')
    .argument('[file]')
    .action((file: string | undefined) => {
      setExitCode(configInitCommand(file, io));
    });

  const alert = program.command('alert').description('Email alerts: test the settings, or report a failed check (for systemd OnFailure=).');
  alert
    .command('test')
    .description('Send a test message through alerts.email now, and say exactly what the server answered.')
    .action(async () => {
      setExitCode(await alertTestCommand(globals(), io));
    });
  alert
    .command('failure')
    .description('Mail that UNIT failed (through the outbox, retried by later runs if the server is down).')
    .argument('<unit>')
    .action(async (unit: string) => {
      setExitCode(await alertFailureCommand(unit, globals(), io));
    });

  program
    .command('journal')
    .description('Show what the watchdog did: every action with its time, target, reason and the bytes it freed.')
    .option('--since <duration>', 'how far back, e.g. 7d, 12h, 30m', '7d')
    .option('--json', 'print the entries as JSON', false)
    .action((opts: { since: string; json: boolean }) => {
      setExitCode(journalCommand({ ...globals(), ...opts }, io));
    });

  return program;
}

/** Runs the command line; returns the exit code. */
export async function runCli(argv: string[], io: Io): Promise<number> {
  let exitCode = 0;
  const program = buildProgram(io, (code) => (exitCode = code));
  if (argv.length === 0) {
    io.stderr.write(program.helpInformation());
    return 64;
  }
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
  return exitCode;
}
