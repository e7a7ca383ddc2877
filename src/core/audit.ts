// The audit (issue #13, its static half): what on this host is one step from root.
// Pure decisions on facts the collectors gathered: who may use the engine's socket
// (DOCKER_GROUP_MEMBERS), containers that bind-mount the host's system paths or the
// engine's socket (HOST_ROOT_MOUNT), privileged containers and dangerous additions
// (PRIVILEGED_CONTAINER), an engine without SELinux or AppArmor (NO_MAC), and an
// engine whose default log configuration caps nothing (DAEMON_LOG_DEFAULTS).
//
// Each finding names its container (containerId, subject) or its subject (a user, the
// socket, the daemon.json), the evidence (the mount, the flag, the option) and the fix,
// in one sentence. One finding per piece of evidence: a container with two such mounts
// has two findings, and alerts once (its alert key is the container's).

import { DEFAULT_SOCKETS } from './host-config.js';
import type { BindMount, ContainerFacts, Finding, FindingCode, HostAudit, Severity, Snapshot, SocketAccess } from './model.js';
import type { AuditPolicy } from './policy.js';
import { readOnlyReminder } from './readonly-profile.js';

export const AUDIT_CODES = ['DOCKER_GROUP_MEMBERS', 'HOST_ROOT_MOUNT', 'PRIVILEGED_CONTAINER', 'NO_MAC', 'DAEMON_LOG_DEFAULTS', 'SETUID_DRIFT', 'RUNNING_DRIFT', 'WRITABLE_ROOTFS'] as const satisfies readonly FindingCode[];
export type AuditCode = (typeof AUDIT_CODES)[number];

export const isAuditCode = (code: FindingCode): code is AuditCode => (AUDIT_CODES as readonly string[]).includes(code);

/** Where DockerRootDir is when the engine did not say. */
const DEFAULT_ROOT = '/var/lib/docker';

// --- paths ---------------------------------------------------------------------------

/** A path without `.`, `..`, repeated or trailing slashes (as the kernel resolves it,
 *  symbolic links aside). */
export function normalizePath(path: string): string {
  const parts: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return `/${parts.join('/')}`;
}

/** `path` is `dir` or lies under it. */
function within(path: string, dir: string): boolean {
  return dir === '/' || path === dir || path.startsWith(`${dir}/`);
}

/** What a container reads of the host when it mounts one of these. */
interface SystemPath {
  path: string;
  what: string;
}

const SYSTEM_PATHS: readonly SystemPath[] = [
  { path: '/', what: "the host's whole filesystem" },
  { path: '/etc', what: "the host's configuration (/etc/shadow, /etc/sudoers, cron)" },
  { path: '/root', what: "root's home (its SSH keys and shell start-up files)" },
  { path: '/boot', what: "the host's kernel and boot loader" },
  { path: '/usr', what: "the host's programs" },
  // From the review of the static half: root's programs and libraries outside /usr (on
  // hosts without merged /usr they are folders of their own), the kernel's settings
  // (/proc/sys/kernel/core_pattern runs a program as root) and root's crontabs.
  { path: '/bin', what: "the host's programs" },
  { path: '/sbin', what: "the host's programs" },
  ...['/lib', '/lib32', '/lib64', '/libx32'].map((path) => ({ path, what: "the host's libraries" })),
  { path: '/proc', what: "the host's processes and kernel settings (core_pattern runs a program as root)" },
  { path: '/sys', what: "the host's kernel and device settings" },
  { path: '/var/spool/cron', what: "the host's crontabs" },
];

/** The sockets of the runtime under the engine: whoever can use one runs any container
 *  too. */
const CONTAINERD_SOCKETS = ['/run/containerd/containerd.sock', '/var/run/containerd/containerd.sock'];

/** What the container decisions need of the host: where the engine keeps its data and
 *  which sockets reach it. */
export interface AuditContext {
  dockerRootDir: string;
  sockets: string[];
}

export function auditContext(snapshot: Pick<Snapshot, 'engine' | 'audit'>): AuditContext {
  const used = snapshot.engine?.host.startsWith('unix://') ? [snapshot.engine.host.slice('unix://'.length)] : [];
  const sockets = snapshot.audit?.sockets ?? [...used, ...DEFAULT_SOCKETS];
  return { dockerRootDir: snapshot.engine?.dockerRootDir || DEFAULT_ROOT, sockets: [...new Set([...sockets, ...DEFAULT_SOCKETS].map(normalizePath))] };
}

const about = (c: ContainerFacts) => ({ containerId: c.id, subject: c.name });

const mountText = (m: BindMount) => `bind mount ${m.source} -> ${m.destination} (${m.readOnly ? 'ro' : 'rw'})`;

/** HOST_ROOT_MOUNT of one bind mount, or null. A writable mount of a system path or
 *  DockerRootDir (or of a folder holding one) is critical; so is one that holds the
 *  engine's socket, even read-only (a socket works through a read-only mount, and
 *  whoever can use it starts a privileged container); a read-only one is a warning; a
 *  writable folder inside a system path is critical too (root reads or runs what is in
 *  /etc/sudoers.d, /etc/cron.d, /root/.ssh, /usr/local/bin), one inside DockerRootDir a
 *  warning (most are a forgotten :ro), and a volume's own data none. */
function mountFinding(c: ContainerFacts, mount: BindMount, context: AuditContext): Finding | null {
  const source = normalizePath(mount.source);
  const shown = mountText({ ...mount, source });
  const fix = 're-create it without this mount';
  const finding = (severity: Severity, text: string): Finding => ({ code: 'HOST_ROOT_MOUNT', severity, ...about(c), message: `${c.name}: ${shown} ${text}` });
  const paths: SystemPath[] = [...SYSTEM_PATHS, { path: normalizePath(context.dockerRootDir), what: "the engine's data (every container's files, and the configuration the engine trusts)" }];
  const system = paths.find((p) => p.path === source) ?? paths.find((p) => within(p.path, source));
  const what = system ? (system.path === source ? system.what : `${system.path}, ${system.what}`) : '';
  if (system && !mount.readOnly) {
    return finding('critical', `lets it write ${what}: whoever runs in it can plant a setuid binary or a cron job there and is root on this host; ${fix}, or make it read-only and narrow it to the files it needs`);
  }
  const socket = [...context.sockets, ...CONTAINERD_SOCKETS].find((s) => within(s, source));
  if (socket) {
    const whose = CONTAINERD_SOCKETS.includes(socket) ? "containerd's socket, under the engine," : "the engine's socket";
    const holds = socket === source ? `is ${whose}` : `holds ${whose} ${socket}`;
    return finding('critical', `${holds}${mount.readOnly ? ' (a socket works through a read-only mount)' : ''}: whoever runs in it can start a privileged container and is root on this host; ${fix}, or give it a socket proxy that allows only the API calls it needs`);
  }
  if (system) return finding('warning', `lets it read ${what}; ${fix}, or narrow it to the files it needs`);
  // A volume's own data is what a named volume gives anyway.
  const root = normalizePath(context.dockerRootDir);
  const volume = within(source, `${root}/volumes`) && /^\/[^/]+\/_data(?:\/|$)/.test(source.slice(`${root}/volumes`.length));
  const inside = mount.readOnly || volume ? undefined : paths.find((p) => p.path !== '/' && within(source, p.path));
  if (inside?.path === root) return finding('warning', `lets it write inside ${inside.path}, ${inside.what}; ${fix}, or make it read-only`);
  if (inside) return finding('critical', `lets it write inside ${inside.path}, ${inside.what}: root reads or runs what is there, so whoever runs in it can make themselves root on this host; ${fix}, or make it read-only`);
  return null;
}

// --- privileges ----------------------------------------------------------------------

/** Capabilities that reach past the container: critical ones are an escape on their own
 *  (with Docker's default seccomp profile, which opens their system calls once they are
 *  granted). */
const CAPABILITIES: Record<string, { severity: Severity; does: string }> = {
  ALL: { severity: 'critical', does: 'every capability, as good as --privileged' },
  SYS_ADMIN: { severity: 'critical', does: 'it may mount filesystems and reach the host through cgroups and namespaces' },
  SYS_MODULE: { severity: 'critical', does: "it may load modules into the host's kernel" },
  DAC_READ_SEARCH: { severity: 'critical', does: 'it may open any file of the host by its handle (the "shocker" escape)' },
  SYS_PTRACE: { severity: 'warning', does: 'it may trace and inject code into the processes it sees' },
  SYS_RAWIO: { severity: 'warning', does: "it may do raw I/O on the host's devices and ports" },
};

const SECURITY_OPTS: Record<string, string> = {
  seccomp: 'every system call is open to it (the default profile blocks the ones most escapes use)',
  apparmor: 'no AppArmor profile confines it',
  label: 'no SELinux label confines it',
  systempaths: 'the /proc and /sys paths the engine masks are open to it',
};

/** Host devices that are the host's disks or memory. */
const RAW_DEVICE = /^\/dev\/(?:(?:sd|hd|vd|xvd|nvme|mmcblk|dm-|loop|md|nbd)[\w-]*|mapper\/.+|mem|kmem|port)$/;

function privilegeFindings(c: ContainerFacts): Finding[] {
  const s = c.security;
  const findings: Finding[] = [];
  const add = (severity: Severity, flag: string, does: string, fix = `re-create it without ${flag}`) =>
    findings.push({ code: 'PRIVILEGED_CONTAINER', severity, ...about(c), message: `${c.name}: ${flag}: ${does}; ${fix}` });
  if (s.privileged) {
    add('critical', '--privileged', "every capability and every device of the host, with no seccomp, AppArmor or SELinux confinement: whoever runs in it is root on this host", 're-create it without --privileged, adding only the capabilities (--cap-add) and devices (--device) it needs');
  }
  // --privileged grants all of what follows; the namespaces are its own.
  if (!s.privileged) {
    for (const cap of s.capAdd) {
      const name = cap.toUpperCase().replace(/^CAP_/, '');
      const known = CAPABILITIES[name];
      if (known) add(known.severity, `--cap-add ${cap}`, known.does, name === 'ALL' ? 're-create it with only the capabilities it needs' : undefined);
    }
    // The engine adds label=disable itself to a container with --pid host or --ipc host
    // (moby daemon/create.go): that finding is theirs.
    const labelByEngine = s.pidMode === 'host' || s.ipcMode === 'host';
    for (const opt of s.securityOpt) {
      const [key, value] = opt.split(/[=:]/, 2) as [string, string | undefined];
      // label=type:spc_t is SELinux's unconfined type, label=disable by another name.
      const unconfined = (key === 'label' && (value === 'disable' || /^label[=:]type:spc_t$/.test(opt)) && !labelByEngine) || (key !== 'label' && value === 'unconfined');
      if (unconfined && SECURITY_OPTS[key]) add('warning', `--security-opt ${opt}`, SECURITY_OPTS[key]!);
    }
    for (const d of s.devices) {
      const flag = `--device ${d.pathOnHost}${d.pathInContainer && d.pathInContainer !== d.pathOnHost ? `:${d.pathInContainer}` : ''}`;
      if (RAW_DEVICE.test(d.pathOnHost)) add('critical', flag, `it may ${/w/.test(d.permissions) || d.permissions === '' ? 'read and write' : 'read'} the host's ${/mem|port/.test(d.pathOnHost) ? 'memory' : 'disk'} directly, past every file permission`);
      else add('warning', flag, "it uses a device of the host's");
    }
    for (const rule of s.deviceCgroupRules) add('warning', `--device-cgroup-rule '${rule}'`, 'it may use the host devices that rule allows, once they are created in it');
  }
  if (s.pidMode === 'host') add('warning', '--pid host', "it sees every process of the host, and may signal them and read their environment");
  if (s.ipcMode === 'host') add('warning', '--ipc host', "it shares the host's shared memory and semaphores");
  if (s.networkMode === 'host') add('warning', '--network host', "it shares the host's network: it reaches services that listen only on 127.0.0.1, and may listen on any port");
  return findings;
}

/** The audit findings of one container: its mounts, its privileges, and (running
 *  read-only) the reminder that drift cannot see its tmpfs writes. */
export function containerAuditFindings(c: ContainerFacts, context: AuditContext): Finding[] {
  const reminder = readOnlyReminder(c);
  return [...c.security.binds.map((m) => mountFinding(c, m, context)).filter((f): f is Finding => f !== null), ...privilegeFindings(c), ...(reminder ? [reminder] : [])];
}

// --- the host ------------------------------------------------------------------------

/** `name=seccomp,profile=default` -> `seccomp`; old engines send bare names. */
export function securityOptionNames(options: readonly string[]): string[] {
  return options.map((o) => /(?:^|,)name=([^,]+)/.exec(o)?.[1] ?? o);
}

function noMacFindings(options: readonly string[] | null): Finding[] {
  if (options === null) return [];
  const names = securityOptionNames(options);
  if (names.includes('apparmor') || names.includes('selinux')) return [];
  const listed = names.length > 0 ? names.join(', ') : 'none';
  const remapped = names.includes('rootless') ? 'rootless' : names.includes('userns') ? 'with user namespaces (userns-remap)' : null;
  const fix = 'enable AppArmor (the apparmor package, the kernel booted with apparmor=1) or SELinux (dockerd --selinux-enabled) and restart the engine';
  if (remapped) {
    return [{ code: 'NO_MAC', severity: 'info', message: `the engine confines containers with neither SELinux nor AppArmor (security options: ${listed}); it runs ${remapped}, so root in a container is not root on this host; to confine them further, ${fix}` }];
  }
  return [{ code: 'NO_MAC', severity: 'warning', message: `the engine confines containers with neither SELinux nor AppArmor (security options: ${listed}): a process that escapes its namespaces meets nothing else; ${fix}` }];
}

/** A mode as `ls` and chmod write it: `0660`. */
export const octal = (mode: number): string => `0${(mode & 0o7777).toString(8).padStart(3, '0')}`;

/** The socket's owner and group by name (by number when the databases do not name them). */
export function socketOwner(socket: Extract<SocketAccess, { kind: 'unix' }>): { owner: string; group: string } {
  return {
    owner: socket.users?.find((u) => u.uid === socket.uid)?.name ?? String(socket.uid),
    group: socket.groups?.find((g) => g.gid === socket.gid)?.name ?? String(socket.gid),
  };
}

function socketFindings(socket: SocketAccess | null, securityOptions: readonly string[] | null): Finding[] {
  if (socket === null) return [];
  if (socket.kind === 'tcp') {
    return [
      {
        code: 'DOCKER_GROUP_MEMBERS',
        severity: 'info',
        subject: socket.url,
        message: `the engine is reached over TCP (${socket.url}${socket.tls ? ', TLS' : ', no TLS'}): who may use it cannot be checked from here; anyone who can connect to it is root on the engine's host${socket.tls ? ' unless the engine requires client certificates (--tlsverify)' : ''}`,
      },
    ];
  }
  const { owner, group } = socketOwner(socket);
  const shown = `${socket.path} (${owner}:${group} ${octal(socket.mode)})`;
  const rootless = securityOptionNames(securityOptions ?? []).includes('rootless');
  // A rootless engine runs as its owner: its users act as that user, not as root.
  const effectively = rootless ? `effectively ${owner}, who runs the engine rootless` : 'effectively root on this host';
  const severity: Severity = rootless ? 'info' : 'warning';
  const findings: Finding[] = [];
  if (socket.mode & 0o002) {
    findings.push({
      code: 'DOCKER_GROUP_MEMBERS',
      severity: rootless ? 'warning' : 'critical',
      subject: socket.path,
      message: `the engine's socket ${shown} is writable by every user: every user of this host is ${effectively}; chmod 660 ${socket.path}, and find what made it so (a chmod in a script, a socket unit's SocketMode)`,
    });
  }
  // Whatever its mode says: the owner may chmod it.
  if (socket.uid !== 0 && !rootless) {
    findings.push({ code: 'DOCKER_GROUP_MEMBERS', severity, subject: owner, message: `${owner} owns the engine's socket ${shown}: ${owner} is ${effectively}; chown root ${socket.path}` });
  }
  if (socket.mode & 0o020) {
    const members = new Map<string, string>();
    // Every line with the gid counts (initgroups reads them all): a group may be split.
    for (const name of socket.groups?.filter((g) => g.gid === socket.gid).flatMap((g) => g.members) ?? []) members.set(name, `as a member of group ${group}`);
    for (const user of socket.users ?? []) if (user.gid === socket.gid && !members.has(user.name)) members.set(user.name, `as ${group} is their primary group`);
    const isRoot = (name: string) => name === 'root' || socket.users?.find((u) => u.name === name)?.uid === 0;
    for (const [name, how] of members) {
      if (isRoot(name) || name === owner) continue;
      findings.push({
        code: 'DOCKER_GROUP_MEMBERS',
        severity,
        subject: name,
        message: `${name} may use the engine's socket ${shown} ${how}: ${name} is ${effectively}; remove ${name} from ${group} (gpasswd -d ${name} ${group}) and let them use sudo docker, or rootless Docker`,
      });
    }
  }
  return findings;
}

/** The daemon.json whose missing max-size lets new containers log without a cap, or
 *  null when the engine's defaults cap logs (or cannot be read): UNBOUNDED_LOG findings
 *  point to it. */
export function unboundedLogDefaults(audit: HostAudit | undefined): string | null {
  const defaults = audit?.logDefaults;
  if (!defaults || defaults.source.kind !== 'file') return null;
  const driver = defaults.driver ?? defaults.source.logDriver ?? 'json-file';
  const maxSize = defaults.source.logOpts['max-size'];
  return driver === 'json-file' && (maxSize === undefined || maxSize === '-1') ? defaults.source.path : null;
}

function logDefaultsFindings(audit: HostAudit): Finding[] {
  const defaults = audit.logDefaults;
  if (!defaults) return [];
  const { source } = defaults;
  const driver = defaults.driver ?? (source.kind === 'file' ? source.logDriver : null) ?? 'json-file';
  // `local` caps each container's log (5 files of 20 MB); other drivers do not write
  // on this disk, or cap their own store (journald).
  if (driver !== 'json-file') return [];
  const opts = '"log-opts": {"max-size": "10m", "max-file": "3"}';
  if (source.kind === 'unknown') {
    return [
      {
        code: 'DAEMON_LOG_DEFAULTS',
        severity: 'info',
        message: `the engine's default log driver is json-file, and its log-opts cannot be read (${source.reason}): without max-size there, every container created without --log-opt max-size logs without a cap; set audit.daemonConfig to the engine's daemon.json to check it`,
      },
    ];
  }
  const path = unboundedLogDefaults(audit);
  if (path === null) return [];
  const file = source.exists ? path : `${path}, which does not exist yet`;
  const reloaded = source.logDriver !== null && source.logDriver !== driver ? ` (the file names log-driver ${source.logDriver}, which the engine has not loaded)` : '';
  return [
    {
      code: 'DAEMON_LOG_DEFAULTS',
      severity: 'warning',
      subject: path,
      message: `the engine's default log driver is json-file with no max-size${reloaded} (${file}; ${source.foundBy}): every container created without --log-opt max-size logs without a cap until the disk is full; add ${opts} (or "log-driver": "local") to ${path} and restart the engine: it applies only to containers created after the restart`,
    },
  ];
}

/** The host's audit findings: the socket's users, the engine's confinement, its log
 *  defaults. */
export function hostAuditFindings(audit: HostAudit): Finding[] {
  return [...socketFindings(audit.socket, audit.securityOptions), ...noMacFindings(audit.securityOptions), ...logDefaultsFindings(audit)];
}

/** Per-code severities from the configuration (audit.severity). */
export function withSeverities(findings: Finding[], severity: AuditPolicy['severity']): Finding[] {
  return findings.map((f) => {
    // The info SETUID_DRIFT says only that some paths were not checked: not a finding of
    // setuid files, whose severity audit.severity sets.
    const informational = f.code === 'SETUID_DRIFT' && !f.setuidFiles;
    const wanted = isAuditCode(f.code) && !informational ? severity[f.code] : undefined;
    return wanted ? { ...f, severity: wanted } : f;
  });
}

/** Every audit finding of a snapshot: the host's (when its facts were collected), then
 *  each container's (all of them, or the ones given). */
export function auditFindings(snapshot: Pick<Snapshot, 'engine' | 'containers' | 'audit'>, policy: Pick<AuditPolicy, 'severity'>, containers: readonly ContainerFacts[] = snapshot.containers, host = true): Finding[] {
  const context = auditContext(snapshot);
  const findings = [...(host && snapshot.audit ? hostAuditFindings(snapshot.audit) : []), ...containers.flatMap((c) => containerAuditFindings(c, context))];
  return withSeverities(findings, policy.severity);
}
