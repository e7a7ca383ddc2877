// Command-line wiring: flags become typed options, options go to a command, and the
// command's Outcome comes back (main.ts turns it into the exit code). The commands are
// loaded only when one runs: `watchdog --version` loads no engine client, mailer,
// database or schema library (issue #8).

import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import packageJson from '../package.json' with { type: 'json' };
import { DEFAULT_CONFIG_PATH } from './config/load.js';
import { DONE, type Outcome } from './core/outcome.js';
import { UsageError } from './errors.js';
import type { Io } from './pipeline/io.js';

/** Every command but `watch` (commands/index.ts says why they come together). */
const commands = () => import('./commands/index.js');

const EXIT_CODES_HELP = `
Exit codes:
  0  OK            no warning or critical finding
  1  warning       at least one warning finding
  2  critical      at least one critical finding
  3  unknown       the engine could not be reached, a collector could not run,
                   another run held the state store's lock for too long, or the
                   store turned out damaged (moved aside: the next run starts afresh)
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

/** --listen: HOST:PORT, [IPv6]:PORT, or :PORT (every address). */
function listenAddress(value: string): { host: string; port: number } {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\[\]]*)):(\d{1,5})$/.exec(value);
  const port = Number(match?.[3]);
  if (!match || port > 65535) throw new InvalidArgumentError('expected HOST:PORT, e.g. 127.0.0.1:19323, [::1]:19323 or :19323 (every address).');
  return { host: match[1] ?? match[2] ?? '', port };
}

const TEXTFILE_HELP = "also write the metrics to DIR/docker_watchdog.prom (whole, by rename) for node_exporter's textfile collector: its --collector.textfile.directory";

interface GlobalOptions {
  host?: string;
  config?: string;
  state?: string;
  wait: number;
}

export function buildProgram(io: Io, done: (outcome: Outcome) => void): Command {
  const program = new Command()
    .name('watchdog')
    .description('Keeps a Docker host from running out of disk (log growth, thin-pool and filesystem space, exited containers) and audits it (who is one step from root).')
    .version(packageJson.version)
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
    .option('--json', 'print the report as JSON (stable field names, bytes as integers; schema in docs/report.schema.json)', false)
    .option('--no-color', 'never colour the text report (colour is used only on a terminal)')
    .option('--top <n>', 'how many logs, exited containers and cases of one finding to list', positiveInt, 5)
    .option('--fresh', 'ask the engine for docker system df now; by default an answer younger than usage.maxAge (1h) is reused, as df is costly', false)
    .option('--textfile <dir>', TEXTFILE_HELP)
    .addHelpText('after', EXIT_CODES_HELP)
    .action(async (opts: { json: boolean; color: boolean; top: number; fresh: boolean; textfile?: string }) => {
      const { reportCommand } = await commands();
      done(await reportCommand({ ...globals(), ...opts }, io));
    });

  program
    .command('check')
    .description(
      'One pass for a systemd timer or cron: report, rotate logs over logs.maxSize, prune exited containers by the policy (holding suspicious ones), record, alert, and print only what was done. The exit code is the worst finding.',
    )
    .option('--dry-run', 'print the plans, with a reason for each container, and change nothing', false)
    .option('--json', 'print the findings, plans and results as JSON', false)
    .option('--textfile <dir>', TEXTFILE_HELP)
    .addHelpText('after', EXIT_CODES_HELP)
    .action(async (opts: { dryRun: boolean; json: boolean; textfile?: string }) => {
      const { checkCommand } = await commands();
      done(await checkCommand({ ...globals(), ...opts }, io));
    });

  program
    .command('rotate')
    .description(
      'Rotate live json-file logs that have no max-size, without losing a line: all over logs.maxSize, or the CONTAINERs named (whatever their size). The container is paused for the last copy only. Logs the engine rotates itself are never touched.',
    )
    .argument('[container...]', 'names, ids or id prefixes')
    .option('--dry-run', 'print the plan, with a reason for each container, and change nothing', false)
    .option('--json', 'print the plan and the results as JSON', false)
    .addHelpText('after', EXIT_CODES_HELP)
    .action(async (containers: string[], opts: { dryRun: boolean; json: boolean }) => {
      const { rotateCommand } = await commands();
      done(await rotateCommand({ ...globals(), ...opts, containers }, io));
    });

  program
    .command('prune')
    .description(
      'Remove exited containers past containers.exited.maxAge (sooner under disk pressure), except running, labelled, protected and the newest per image; any whose docker diff shows changes outside drift.allow is held with a forensic bundle.',
    )
    .option('--dry-run', 'print the plan, with a reason for each container, and change nothing', false)
    .option('--json', 'print the plan and the results as JSON', false)
    .addHelpText('after', EXIT_CODES_HELP)
    .action(async (opts: { dryRun: boolean; json: boolean }) => {
      const { pruneCommand } = await commands();
      done(await pruneCommand({ ...globals(), ...opts }, io));
    });

  program
    .command('drift')
    .description("Classify what docker diff shows of exited containers (or the CONTAINERs named) against drift.allow; suspicious ones get a forensic bundle.")
    .argument('[container...]', 'names, ids or id prefixes')
    .option('--dry-run', 'classify only: write no forensic bundle', false)
    .option('--json', 'print the classification as JSON', false)
    .addHelpText('after', EXIT_CODES_HELP)
    .action(async (containers: string[], opts: { dryRun: boolean; json: boolean }) => {
      const { driftCommand } = await commands();
      done(await driftCommand({ ...globals(), ...opts, containers }, io));
    });

  program
    .command('audit')
    .description(
      "Show what on this host is one step from root: users who may use the engine's socket (DOCKER_GROUP_MEMBERS), containers, running or not, that bind-mount the host's system paths, DockerRootDir or the engine's socket (HOST_ROOT_MOUNT), --privileged and dangerous additions (PRIVILEGED_CONTAINER), an engine without SELinux or AppArmor (NO_MAC), default log options that cap nothing (DAEMON_LOG_DEFAULTS), containers that wrote a setuid or setgid file in their own filesystem (SETUID_DRIFT), running containers whose last drift check found changes outside drift.allow (RUNNING_DRIFT), and the --read-only --tmpfs flags a running container's recorded drift allows (WRITABLE_ROOTFS). Each finding gives its evidence and the fix. Runs no docker diff of a running container (check and the daemon do, at most every drift.runningInterval) and changes nothing; report and check include the same findings while audit.enabled.",
    )
    .argument('[container...]', 'audit only these (names, ids or id prefixes), not the host')
    .option('--json', "print the findings as JSON (each in the report's finding shape)", false)
    .option('--no-color', 'never colour the text (colour is used only on a terminal)')
    .addHelpText(
      'after',
      `
Configuration:
  audit.groupFile     the group database (default /etc/group)
  audit.passwdFile    the user database (default /etc/passwd)
  audit.daemonConfig  the engine's daemon.json (default: the --config-file of the
                      dockerd serving the socket, else /etc/docker/daemon.json)
  audit.severity      per-code severities, e.g. { NO_MAC: info }
  audit.enabled       the same findings in report, check and watch (default true)
  drift.runningInterval  a running container's drift checked at most this often (1h)
  drift.runningBudget    no further check in a pass once its checks took this long (10s)
  drift.onSuspiciousRunning  alert (default) or pause
  drift.maxModeChecks    changed files whose mode is read per container (1000)
${EXIT_CODES_HELP}`,
    )
    .action(async (containers: string[], opts: { json: boolean; color: boolean }) => {
      const { auditCommand } = await commands();
      done(await auditCommand({ ...globals(), ...opts, containers }, io));
    });

  const config = program.command('config').description('Check or write the configuration file.');
  config
    .command('check')
    .description(`Check a configuration file (default ${DEFAULT_CONFIG_PATH}); every problem is listed, exit 78.`)
    .argument('[file]')
    .action(async (file: string | undefined) => {
      const { configCheckCommand } = await commands();
      done(await configCheckCommand(file ?? globals().config, io, globals().host));
    });
  config
    .command('init')
    .description('Print the default configuration, commented, or write it to FILE (never over an existing one).')
    .argument('[file]')
    .action(async (file: string | undefined) => {
      const { configInitCommand } = await commands();
      done(configInitCommand(file, io));
    });

  const alert = program.command('alert').description('Email alerts: test the settings, or report a failed check (for systemd OnFailure=).');
  alert
    .command('test')
    .description('Send a test message through alerts.email now, and say exactly what the server answered.')
    .action(async () => {
      const { alertTestCommand } = await commands();
      done(await alertTestCommand(globals(), io));
    });
  alert
    .command('failure')
    .description('Mail that UNIT failed (through the outbox, retried by later runs if the server is down).')
    .argument('<unit>')
    .action(async (unit: string) => {
      const { alertFailureCommand } = await commands();
      done(await alertFailureCommand(unit, globals(), io));
    });

  program
    .command('watch')
    .description(
      "Run as a daemon (for systemd): watch every json-file log without max-size and rotate it as it crosses logs.maxSize, follow the engine's events (a container that ends has its drift classified at once), measure the space every watch.spaceInterval and alert on runaway growth, and do what check does every watch.interval. Needs a local engine. SIGHUP reloads the configuration; SIGTERM ends it, unpausing first.",
    )
    .addOption(new Option('--log-format <format>', 'one line per event: text for people and journald, or json (one object per line)').choices(['text', 'json']).default('text'))
    .addOption(
      new Option('--listen <address>', 'serve Prometheus metrics at http://ADDRESS/metrics, e.g. 127.0.0.1:19323 (off by default; nothing else is served, and nothing a client sends changes anything)').argParser(listenAddress),
    )
    .addHelpText('after', '\nIt runs until stopped: exit 143 on SIGTERM, 130 on SIGINT. It exits at once with 3 if the engine cannot be reached at start or the --listen address cannot be had, 64 for a remote engine, 78 for a bad configuration.')
    .action(async (opts: { logFormat: 'text' | 'json'; listen?: { host: string; port: number } }) => {
      const { watchCommand } = await import('./commands/watch.js');
      done(await watchCommand({ ...globals(), ...opts }, io));
    });

  program
    .command('metrics')
    .description(
      'Print the Prometheus metrics of the last recorded run (report, check, or the daemon\'s full pass) from the state store, without asking the engine. For a live view run watchdog watch --listen; for node_exporter use --textfile on check.',
    )
    .addHelpText('after', '\nExit 3 when the store has no run recorded yet.')
    .action(async () => {
      const { metricsCommand } = await commands();
      done(metricsCommand(globals(), io));
    });

  program
    .command('journal')
    .description('Show what the watchdog did: every action with its time, target, reason and the bytes it freed.')
    .option('--since <duration>', 'how far back, with a unit: e.g. 7d, 12h, 30m', '7d')
    .option('--json', 'print the entries as JSON', false)
    .action(async (opts: { since: string; json: boolean }) => {
      const { journalCommand } = await commands();
      done(await journalCommand({ ...globals(), ...opts }, io));
    });

  return program;
}

/** Runs the command line; resolves to the command's Outcome. Errors a user can act on
 *  are thrown (main.ts prints them and derives their exit code). */
export async function runCli(argv: string[], io: Io): Promise<Outcome> {
  let outcome: Outcome = DONE;
  const program = buildProgram(io, (result) => (outcome = result));
  if (argv.length === 0) {
    io.stderr.write(program.helpInformation());
    throw new UsageError('');
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help asked for and the version are not errors; commander has already printed
      // them. Help shown because a command came without its subcommand is (64).
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || (error.code === 'commander.help' && error.exitCode === 0)) return DONE;
      throw new UsageError('');
    }
    throw error;
  }
  return outcome;
}
