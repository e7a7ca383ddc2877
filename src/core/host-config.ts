// The host's own configuration as the audit reads it (issue #13): the group and user
// databases, the command line of a dockerd, and its daemon.json. Pure parsing: the
// files and /proc are read by collect/audit.ts.

import type { GroupEntry, UserEntry } from './model.js';

/** Lines of a colon-separated database, without comments and NIS markers (`+`, `-`). */
function records(text: string): string[][] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#') && !line.startsWith('+') && !line.startsWith('-'))
    .map((line) => line.split(':'));
}

const id = (field: string | undefined): number | null => (field !== undefined && /^\d+$/.test(field) ? Number(field) : null);

/** `/etc/group`: `name:password:gid:member,member`. Malformed lines are skipped. */
export function parseGroupFile(text: string): GroupEntry[] {
  const groups: GroupEntry[] = [];
  for (const [name, , gidField, members = ''] of records(text)) {
    const gid = id(gidField);
    if (!name || gid === null) continue;
    groups.push({ name, gid, members: members.split(',').map((m) => m.trim()).filter(Boolean) });
  }
  return groups;
}

/** `/etc/passwd`: `name:password:uid:gid:gecos:home:shell`. Malformed lines are skipped. */
export function parsePasswdFile(text: string): UserEntry[] {
  const users: UserEntry[] = [];
  for (const [name, , uidField, gidField] of records(text)) {
    const uid = id(uidField);
    const gid = id(gidField);
    if (!name || uid === null || gid === null) continue;
    users.push({ name, uid, gid });
  }
  return users;
}

/** Where dockerd reads its configuration when started without --config-file. */
export const DEFAULT_DAEMON_CONFIG = '/etc/docker/daemon.json';

/** The unix sockets a dockerd serves when started without -H (or with fd://, systemd's
 *  docker.socket, whose ListenStream is /run/docker.sock): the same socket, by both names. */
export const DEFAULT_SOCKETS = ['/var/run/docker.sock', '/run/docker.sock'] as const;

/** What a dockerd command line says about the audit: its sockets, configuration file
 *  and default log options. */
export interface DockerdArgs {
  /** `-H`/`--host` values as given (`unix:///path`, `fd://`, `tcp://...`). */
  hosts: string[];
  configFile: string | null;
  logDriver: string | null;
  logOpts: Record<string, string>;
}

/** Whether this command line is a dockerd (its program's name), however it was started
 *  (`/usr/bin/dockerd`, `dockerd` from a chroot). */
export function isDockerd(argv: readonly string[]): boolean {
  const program = argv[0] ?? '';
  return program.slice(program.lastIndexOf('/') + 1) === 'dockerd';
}

/** dockerd's flags as its flag parser (pflag) reads them: `--flag value`, `--flag=value`,
 *  `-H value`, `-H=value` and `-Hvalue`. */
export function parseDockerdArgs(argv: readonly string[]): DockerdArgs {
  const result: DockerdArgs = { hosts: [], configFile: null, logDriver: null, logOpts: {} };
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i]!;
    const long = /^--([a-z-]+)(?:=(.*))?$/s.exec(arg);
    const short = /^-H(?:=?(.+))?$/s.exec(arg);
    let name: string;
    let value: string | undefined;
    if (long) [name, value] = [long[1]!, long[2]];
    else if (short) [name, value] = ['host', short[1]];
    else continue;
    if (!['host', 'config-file', 'log-driver', 'log-opt'].includes(name)) continue;
    if (value === undefined) value = argv[++i];
    if (value === undefined) break;
    if (name === 'host') result.hosts.push(value);
    else if (name === 'config-file') result.configFile = value;
    else if (name === 'log-driver') result.logDriver = value;
    else {
      const eq = value.indexOf('=');
      if (eq > 0) result.logOpts[value.slice(0, eq)] = value.slice(eq + 1);
    }
  }
  return result;
}

/** The unix socket paths a dockerd serves, by its -H flags: none given, or fd://, means
 *  the default socket. Sockets set only in daemon.json's `hosts` are not seen here. */
export function dockerdSockets(args: DockerdArgs): string[] {
  if (args.hosts.length === 0) return [...DEFAULT_SOCKETS];
  const sockets: string[] = [];
  for (const host of args.hosts) {
    if (host.startsWith('unix://')) sockets.push(host.slice('unix://'.length));
    else if (host.startsWith('fd://')) sockets.push(...DEFAULT_SOCKETS);
    else if (host.startsWith('/')) sockets.push(host);
  }
  return sockets;
}

/** The log settings of a daemon.json. Throws, with a sentence, when it is not a JSON
 *  object (dockerd would refuse to start with it). As dockerd reads it (moby's
 *  getConflictFreeConfiguration): a UTF-8 byte-order mark is dropped, and an empty file
 *  sets nothing. */
export function parseDaemonJson(text: string): { logDriver: string | null; logOpts: Record<string, string> } {
  const body = text.replace(/^\uFEFF/, '').trim();
  if (body === '') return { logDriver: null, logOpts: {} };
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (error) {
    throw new Error(`it is not valid JSON (${(error as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('it is not a JSON object');
  const config = parsed as Record<string, unknown>;
  const logDriver = typeof config['log-driver'] === 'string' ? config['log-driver'] : null;
  const opts = config['log-opts'];
  const logOpts: Record<string, string> = {};
  if (typeof opts === 'object' && opts !== null && !Array.isArray(opts)) {
    for (const [key, value] of Object.entries(opts)) if (typeof value === 'string' || typeof value === 'number') logOpts[key] = String(value);
  }
  return { logDriver, logOpts };
}
