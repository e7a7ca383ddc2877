// The host's side of the audit (issue #13): who may use the engine's socket (its owner,
// group and mode, and the group and user databases), the engine's security options,
// and its default log configuration (docker info's LoggingDriver, and the log-opts of
// the daemon.json the engine was started with). Decisions are core/audit.ts's; a part
// that cannot be read is a failure of the `audit` collector, and the others still count.
//
// Which daemon.json: the --config-file of the dockerd whose -H names the socket the
// watchdog uses (read from /proc/*/cmdline), else /etc/docker/daemon.json when that
// socket is the default one; audit.daemonConfig overrides both.

import { closeSync, openSync, readdirSync, readFileSync, readlinkSync, readSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { DEFAULT_DAEMON_CONFIG, DEFAULT_SOCKETS, dockerdSockets, isDockerd, parseDaemonJson, parseDockerdArgs, parseGroupFile, parsePasswdFile, type DockerdArgs } from '../core/host-config.js';
import type { HostAudit, LogDefaultsSource, SocketAccess } from '../core/model.js';
import type { EngineAddress } from '../engine/host.js';
import type { InfoResponse } from '../engine/shapes.js';

/** Where the audit reads the host's configuration (audit.* in the configuration). */
export interface AuditSources {
  groupFile: string;
  passwdFile: string;
  /** The engine's daemon.json; null to find it (above). */
  daemonConfig: string | null;
  /** Where processes' command lines are read; /proc unless a test says otherwise. */
  procDir?: string;
  /** The pid of the dockerd that served a socket in the last run (pipeline/gather.ts). */
  dockerdMemo?: DockerdMemo;
}

export interface DockerdMemo {
  recall(socket: string): number | null;
  remember(socket: string, pid: number | null): void;
}

const codeOf = (error: unknown) => (error as NodeJS.ErrnoException).code ?? (error as Error).message;

/** The path with its symbolic links resolved, or itself when it cannot be. */
function resolved(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** A dockerd running on this host, by its command line. */
interface Dockerd {
  pid: number;
  args: DockerdArgs;
  sockets: string[];
}

/** The mount namespace of a process, or null when it cannot be read. */
function mountNamespace(procDir: string, pid: string): string | null {
  try {
    return readlinkSync(join(procDir, pid, 'ns', 'mnt'));
  } catch {
    return null;
  }
}

/** A process's name, read into one buffer: readFileSync's own stat and buffer per
 *  process made the scan of 274 processes take 4.5-9.5 ms of each run, this 2.3-4 ms
 *  (issue #14). A name is at most 15 bytes and a newline. */
const COMM = Buffer.alloc(64);
function commOf(path: string): string {
  const fd = openSync(path, 'r');
  try {
    return COMM.toString('latin1', 0, readSync(fd, COMM, 0, COMM.length, 0)).trim();
  } finally {
    closeSync(fd);
  }
}

/** The dockerd that process `entry` of procDir is, or null: a process that ends while
 *  it is read is not one, nor is one in another mount namespace than `ours` (a
 *  Docker-in-Docker engine whose socket and daemon.json paths mean other files than
 *  these). */
function dockerdAt(procDir: string, entry: string, ours: string | null): Dockerd | null {
  let argv: string[];
  try {
    // comm first: the command line of every process would cost more, and reading one
    // can wait on a process that holds its memory map's lock.
    if (commOf(join(procDir, entry, 'comm')) !== 'dockerd') return null;
    argv = readFileSync(join(procDir, entry, 'cmdline'), 'latin1').split('\0');
  } catch {
    return null;
  }
  if (argv.at(-1) === '') argv.pop();
  if (!isDockerd(argv)) return null;
  const theirs = mountNamespace(procDir, entry);
  if (ours !== null && theirs !== null && theirs !== ours) return null;
  const args = parseDockerdArgs(argv);
  // A relative --config-file is relative to the directory dockerd was started in.
  if (args.configFile !== null && !isAbsolute(args.configFile)) {
    try {
      args.configFile = join(readlinkSync(join(procDir, entry, 'cwd')), args.configFile);
    } catch {
      // Left as given: reading it fails, and says so.
    }
  }
  return { pid: Number(entry), args, sockets: dockerdSockets(args) };
}

/** Every dockerd in procDir (dockerdAt). */
function dockerds(procDir: string, ours: string | null): Dockerd[] {
  let entries: string[];
  try {
    entries = readdirSync(procDir);
  } catch {
    return [];
  }
  return entries.flatMap((entry) => (/^\d+$/.test(entry) ? (dockerdAt(procDir, entry, ours) ?? []) : []));
}

/** Whether `socket` is the default socket, by either of its names (what /var/run/docker.sock
 *  resolves to is /run/docker.sock on most hosts). The default paths themselves are never
 *  looked up: a host without that socket is left untouched. */
const isDefaultSocket = (socket: string) => (DEFAULT_SOCKETS as readonly string[]).includes(socket) || (DEFAULT_SOCKETS as readonly string[]).includes(resolved(socket));

/**
 * The dockerd that serves `socket` (by its path, or what it resolves to). The one the
 * last run found is read first, if it still serves the socket: reading every process's
 * name took 4.7 ms of a warm report on this machine's 170 processes (41 shuffled runs
 * each way, medians; issue #14), and a busy host has thousands.
 */
function dockerdServing(socket: string, procDir: string, memo: DockerdMemo | undefined): Dockerd | null {
  const paths = new Set([socket, resolved(socket)]);
  const serves = (d: Dockerd | null) => d !== null && d.sockets.some((s) => paths.has(s) || ((DEFAULT_SOCKETS as readonly string[]).includes(s) ? isDefaultSocket(socket) : paths.has(resolved(s))));
  const namespace = mountNamespace(procDir, 'self');
  const recalled = memo?.recall(socket) ?? null;
  const last = recalled === null ? null : dockerdAt(procDir, String(recalled), namespace);
  if (serves(last)) return last;
  const found = dockerds(procDir, namespace).find(serves) ?? null;
  if ((found?.pid ?? null) !== recalled) memo?.remember(socket, found?.pid ?? null);
  return found;
}

function socketAccess(address: EngineAddress, sources: AuditSources, fail: (message: string) => void): SocketAccess | null {
  if (address.kind === 'tcp') return { kind: 'tcp', url: address.url, tls: address.tls };
  let stat;
  try {
    stat = statSync(address.socketPath);
  } catch (error) {
    fail(`cannot stat the engine's socket ${address.socketPath} (${codeOf(error)}): who may use it is unknown`);
    return null;
  }
  const read = <T>(path: string, what: string, parse: (text: string) => T): T | null => {
    try {
      return parse(readFileSync(path, 'utf8'));
    } catch (error) {
      fail(`cannot read ${what} ${path} (${codeOf(error)}): the users of the engine's socket are unknown; set ${what === 'the group database' ? 'audit.groupFile' : 'audit.passwdFile'}`);
      return null;
    }
  };
  return {
    kind: 'unix',
    path: address.socketPath,
    uid: stat.uid,
    gid: stat.gid,
    mode: stat.mode & 0o7777,
    groups: read(sources.groupFile, 'the group database', parseGroupFile),
    users: read(sources.passwdFile, 'the user database', parsePasswdFile),
  };
}

/** Where the engine's default log options come from: the daemon.json it was started
 *  with (and its own flags), or why that is unknown; null when the file cannot be read.
 *  The driver itself is docker info's (readHostAudit). */
function logDefaultsSource(address: EngineAddress, dockerd: Dockerd | null, sources: AuditSources, fail: (message: string) => void): LogDefaultsSource | null {
  const serves = address.url;
  let path: string;
  let foundBy: string;
  if (sources.daemonConfig !== null) {
    path = sources.daemonConfig;
    foundBy = 'set by audit.daemonConfig';
  } else if (dockerd) {
    path = dockerd.args.configFile ?? DEFAULT_DAEMON_CONFIG;
    foundBy = dockerd.args.configFile !== null ? `the --config-file of dockerd (pid ${dockerd.pid}), which serves ${serves}` : `dockerd (pid ${dockerd.pid}), which serves ${serves}, was started without --config-file`;
  } else if (address.kind === 'unix' && isDefaultSocket(address.socketPath)) {
    path = DEFAULT_DAEMON_CONFIG;
    foundBy = `no dockerd process is visible here; the default of the engine at ${serves}`;
  } else {
    const reason = address.kind === 'tcp' ? `the engine at ${serves} is not on this host` : `no dockerd process visible here serves ${serves}`;
    return { kind: 'unknown', reason };
  }
  let file: { logDriver: string | null; logOpts: Record<string, string> } = { logDriver: null, logOpts: {} };
  let exists = true;
  try {
    file = parseDaemonJson(readFileSync(path, 'utf8'));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') exists = false;
    else {
      fail(code ? `cannot read the engine's daemon.json ${path} (${code}): its default log options are unknown` : `the engine's daemon.json ${path} cannot be read as dockerd would: ${(error as Error).message}`);
      return null;
    }
  }
  // dockerd's own flags count as much as the file's (it refuses to start when both set one).
  const flags = dockerd?.args ?? { logDriver: null, logOpts: {} };
  return { kind: 'file', path, foundBy, exists, logDriver: flags.logDriver ?? file.logDriver, logOpts: { ...file.logOpts, ...flags.logOpts } };
}

/** The audit's facts and what could not be read (each a sentence), once docker info's
 *  answer (or null: none) is added to what was read of the host. */
export type HostAuditOf = (info: InfoResponse | null) => { audit: HostAudit; failures: string[] };

/** Reads the host's side of the audit: the processes, the socket, the user and group
 *  databases, daemon.json. None of it needs the engine's answers, so a run reads it
 *  while the engine answers (collect/index.ts): 4-5 ms of /proc and files at 270
 *  processes that were spent after /info came in (issue #14). */
export function readHostAudit(address: EngineAddress, sources: AuditSources): HostAuditOf {
  const failures: string[] = [];
  const fail = (message: string) => failures.push(message);
  const procDir = sources.procDir ?? '/proc';
  const dockerd = address.kind === 'unix' ? dockerdServing(address.socketPath, procDir, sources.dockerdMemo) : null;
  const sockets = address.kind === 'unix' ? [address.socketPath, resolved(address.socketPath), ...(dockerd?.sockets ?? [])] : [];
  const socket = socketAccess(address, sources, fail);
  const logSource = logDefaultsSource(address, dockerd, sources, fail);
  return (info) => ({
    audit: {
      securityOptions: info?.SecurityOptions ?? null,
      sockets: [...new Set(sockets)],
      socket,
      logDefaults: logSource ? { driver: info?.LoggingDriver ?? null, source: logSource } : null,
    },
    failures,
  });
}
