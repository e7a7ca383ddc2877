// The audit's decisions (core/audit.ts) and the parsing of the host's files
// (core/host-config.ts), by tables: codes, severities and subjects, never the wording
// (the golden files pin that).

import { describe, expect, it } from 'vitest';
import { auditFindings, containerAuditFindings, hostAuditFindings, normalizePath, unboundedLogDefaults, withSeverities, type AuditContext } from '../../src/core/audit.js';
import { evaluate } from '../../src/core/evaluate.js';
import { dockerdSockets, isDockerd, parseDaemonJson, parseDockerdArgs, parseGroupFile, parsePasswdFile } from '../../src/core/host-config.js';
import { logConfigFacts } from '../../src/core/logs.js';
import type { ContainerSecurity, Finding, HostAudit, LogDefaults, SocketAccess } from '../../src/core/model.js';
import { exitCodeOf } from '../../src/core/outcome.js';
import { facts, security } from '../helpers/facts.js';
import { DEFAULTS } from '../helpers/policy.js';

const context: AuditContext = { dockerRootDir: '/var/lib/docker', sockets: ['/var/run/docker.sock', '/run/docker.sock'] };
const of = (parts: Partial<ContainerSecurity>) => containerAuditFindings(facts({ id: 'c1', name: 'app', security: security(parts) }), context);
const codes = (findings: Finding[]) => findings.map((f) => `${f.severity}:${f.code}`);
const bind = (source: string, destination: string, readOnly = false) => ({ binds: [{ source, destination, readOnly }] });

describe('HOST_ROOT_MOUNT', () => {
  it.each([
    ['-v /:/host', bind('/', '/host'), ['critical:HOST_ROOT_MOUNT']],
    // A socket works through a read-only mount: / holds it.
    ['-v /:/host:ro', bind('/', '/host', true), ['critical:HOST_ROOT_MOUNT']],
    ['-v /etc:/etc', bind('/etc', '/x'), ['critical:HOST_ROOT_MOUNT']],
    ['-v /etc:/etc:ro', bind('/etc', '/x', true), ['warning:HOST_ROOT_MOUNT']],
    ['-v /root:/r:ro', bind('/root', '/r', true), ['warning:HOST_ROOT_MOUNT']],
    ['-v /boot:/b', bind('/boot', '/b'), ['critical:HOST_ROOT_MOUNT']],
    ['-v /usr:/u:ro', bind('/usr', '/u', true), ['warning:HOST_ROOT_MOUNT']],
    ['-v /var/lib/docker:/d:ro', bind('/var/lib/docker', '/d', true), ['warning:HOST_ROOT_MOUNT']],
    ['-v /var/lib:/d (holds DockerRootDir)', bind('/var/lib', '/d'), ['critical:HOST_ROOT_MOUNT']],
    ['-v /var/run/docker.sock', bind('/var/run/docker.sock', '/var/run/docker.sock'), ['critical:HOST_ROOT_MOUNT']],
    ['-v /var/run/docker.sock:ro', bind('/var/run/docker.sock', '/var/run/docker.sock', true), ['critical:HOST_ROOT_MOUNT']],
    ['-v /run/docker.sock', bind('/run/docker.sock', '/s', true), ['critical:HOST_ROOT_MOUNT']],
    ['-v /var/run:/var/run:ro (holds the socket)', bind('/var/run', '/var/run', true), ['critical:HOST_ROOT_MOUNT']],
    ['a trailing slash and a dot', bind('/etc/./', '/x'), ['critical:HOST_ROOT_MOUNT']],
    ['a writable folder inside /etc: root runs what is there', bind('/etc/cron.d', '/x'), ['critical:HOST_ROOT_MOUNT']],
    ["a writable folder inside root's home", bind('/root/.ssh', '/keys'), ['critical:HOST_ROOT_MOUNT']],
    ['/bin, writable', bind('/bin', '/x'), ['critical:HOST_ROOT_MOUNT']],
    ['/lib64, read-only', bind('/lib64', '/x', true), ['warning:HOST_ROOT_MOUNT']],
    ["the host's /proc (core_pattern)", bind('/proc', '/host/proc'), ['critical:HOST_ROOT_MOUNT']],
    ["the host's /proc read-only, as node-exporter has it", bind('/proc', '/host/proc', true), ['warning:HOST_ROOT_MOUNT']],
    ['/sys, writable', bind('/sys', '/sys'), ['critical:HOST_ROOT_MOUNT']],
    ["root's crontabs", bind('/var/spool/cron', '/cron'), ['critical:HOST_ROOT_MOUNT']],
    ["containerd's socket, read-only", bind('/run/containerd/containerd.sock', '/c.sock', true), ['critical:HOST_ROOT_MOUNT']],
    ['/library is not /lib', bind('/library', '/x'), []],
    ['a read-only file inside /etc', bind('/etc/localtime', '/etc/localtime', true), []],
    ['a writable folder inside DockerRootDir', bind('/var/lib/docker/containers', '/c'), ['warning:HOST_ROOT_MOUNT']],
    ["a volume's own data", bind('/var/lib/docker/volumes/db/_data', '/data'), []],
    ['every volume', bind('/var/lib/docker/volumes', '/v'), ['warning:HOST_ROOT_MOUNT']],
    ['an application folder', bind('/srv/app/data', '/data'), []],
    ['/etcetera is not /etc', bind('/etcetera', '/x'), []],
    ['no mount', {}, []],
  ])('%s', (_, parts, expected) => {
    expect(codes(of(parts))).toEqual(expected);
  });

  it('counts the socket actually used and DockerRootDir where the engine keeps it', () => {
    const own: AuditContext = { dockerRootDir: '/srv/docker', sockets: ['/tmp/e/docker.sock', '/var/run/docker.sock'] };
    const found = (source: string, readOnly = true) => codes(containerAuditFindings(facts({ security: security(bind(source, '/x', readOnly)) }), own));
    expect(found('/tmp/e/docker.sock')).toEqual(['critical:HOST_ROOT_MOUNT']);
    expect(found('/tmp/e')).toEqual(['critical:HOST_ROOT_MOUNT']);
    expect(found('/srv/docker')).toEqual(['warning:HOST_ROOT_MOUNT']);
    expect(found('/var/lib/docker')).toEqual([]);
  });

  it('names the container and the mount, one finding per mount', () => {
    const found = containerAuditFindings(facts({ id: 'c9', name: 'admin', security: security({ binds: [{ source: '/', destination: '/host', readOnly: false }, { source: '/var/run/docker.sock', destination: '/sock', readOnly: true }] }) }), context);
    expect(found.map((f) => [f.containerId, f.subject])).toEqual([
      ['c9', 'admin'],
      ['c9', 'admin'],
    ]);
    expect(found[0]!.message).toContain('bind mount / -> /host (rw)');
    expect(found[1]!.message).toContain('bind mount /var/run/docker.sock -> /sock (ro)');
  });

  it('normalizes paths as the kernel would, links aside', () => {
    expect(['/', '//', '/etc/', '/etc//cron.d/', '/a/./b/../c', '/..'].map(normalizePath)).toEqual(['/', '/', '/etc', '/etc/cron.d', '/a/c', '/']);
  });
});

describe('PRIVILEGED_CONTAINER', () => {
  it.each([
    ['--privileged', { privileged: true }, ['critical']],
    ['--cap-add SYS_ADMIN', { capAdd: ['SYS_ADMIN'] }, ['critical']],
    ['--cap-add CAP_SYS_ADMIN', { capAdd: ['CAP_SYS_ADMIN'] }, ['critical']],
    ['--cap-add ALL', { capAdd: ['ALL'] }, ['critical']],
    ['--cap-add sys_module', { capAdd: ['sys_module'] }, ['critical']],
    ['--cap-add DAC_READ_SEARCH', { capAdd: ['DAC_READ_SEARCH'] }, ['critical']],
    ['--cap-add SYS_PTRACE', { capAdd: ['SYS_PTRACE'] }, ['warning']],
    ['--cap-add NET_BIND_SERVICE (harmless)', { capAdd: ['NET_BIND_SERVICE'] }, []],
    ['--pid host', { pidMode: 'host' }, ['warning']],
    ['--pid container:x', { pidMode: 'container:x' }, []],
    ['--ipc host', { ipcMode: 'host' }, ['warning']],
    ['--network host', { networkMode: 'host' }, ['warning']],
    ['--security-opt seccomp=unconfined', { securityOpt: ['seccomp=unconfined'] }, ['warning']],
    ['--security-opt seccomp:unconfined (old syntax)', { securityOpt: ['seccomp:unconfined'] }, ['warning']],
    ['--security-opt apparmor=unconfined', { securityOpt: ['apparmor=unconfined'] }, ['warning']],
    ['--security-opt label=disable', { securityOpt: ['label=disable'] }, ['warning']],
    ["--security-opt label=type:spc_t, SELinux's unconfined type", { securityOpt: ['label=type:spc_t'] }, ['warning']],
    ['--security-opt label=type:container_t is confined', { securityOpt: ['label=type:container_t'] }, []],
    // The engine adds label=disable itself for --pid host and --ipc host.
    ['--pid host, as the engine records it', { pidMode: 'host', securityOpt: ['label=disable'] }, ['warning']],
    ['--ipc host, as the engine records it', { ipcMode: 'host', securityOpt: ['label=disable'] }, ['warning']],
    ['--security-opt no-new-privileges (good)', { securityOpt: ['no-new-privileges'] }, []],
    ['--security-opt seccomp=/etc/profile.json', { securityOpt: ['seccomp=/etc/profile.json'] }, []],
    ['--device /dev/sda', { devices: [{ pathOnHost: '/dev/sda', pathInContainer: '/dev/sda', permissions: 'rwm' }] }, ['critical']],
    ['--device /dev/mem', { devices: [{ pathOnHost: '/dev/mem', pathInContainer: '/dev/mem', permissions: 'r' }] }, ['critical']],
    ['--device /dev/fuse', { devices: [{ pathOnHost: '/dev/fuse', pathInContainer: '/dev/fuse', permissions: 'rwm' }] }, ['warning']],
    ['--device-cgroup-rule', { deviceCgroupRules: ['b *:* rwm'] }, ['warning']],
    // What --privileged grants is said once; the namespaces are its own.
    ['--privileged --cap-add ALL --pid host', { privileged: true, capAdd: ['ALL'], pidMode: 'host' }, ['critical', 'warning']],
    ['none', {}, []],
  ])('%s', (_, parts, expected) => {
    const found = of(parts);
    expect(found.map((f) => f.severity)).toEqual(expected);
    expect(found.every((f) => f.code === 'PRIVILEGED_CONTAINER' && f.containerId === 'c1' && f.subject === 'app')).toBe(true);
  });

  it('says the flag and the fix', () => {
    expect(of({ capAdd: ['SYS_ADMIN'] })[0]!.message).toMatch(/^app: --cap-add SYS_ADMIN: .*; re-create it without --cap-add SYS_ADMIN$/);
  });
});

const unixSocket = (parts: Partial<Extract<SocketAccess, { kind: 'unix' }>> = {}): SocketAccess => ({
  kind: 'unix',
  path: '/var/run/docker.sock',
  uid: 0,
  gid: 998,
  mode: 0o660,
  groups: parseGroupFile('root:x:0:\ndocker:x:998:alice,bob,root\nstaff:x:50:carol\n'),
  users: parsePasswdFile('root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\nbob:x:1001:1001::/home/bob:/bin/sh\ndave:x:1002:998::/home/dave:/bin/sh\n'),
  ...parts,
});
const host = (parts: Partial<HostAudit> = {}): HostAudit => ({ securityOptions: ['name=apparmor', 'name=seccomp,profile=default'], sockets: ['/var/run/docker.sock'], socket: null, logDefaults: null, ...parts });
const subjects = (findings: Finding[], code: string) => findings.filter((f) => f.code === code).map((f) => `${f.severity}:${f.subject}`);

describe('DOCKER_GROUP_MEMBERS', () => {
  it.each([
    ['root:docker 0660: the members and whose primary group it is, never root', {}, ['warning:alice', 'warning:bob', 'warning:dave']],
    ['root:docker 0600: the group may not write to it', { mode: 0o600 }, []],
    ['root:docker 0640: read is not enough to connect', { mode: 0o640 }, []],
    ['root:docker 0666: every user', { mode: 0o666 }, ['critical:/var/run/docker.sock', 'warning:alice', 'warning:bob', 'warning:dave']],
    ['alice:docker 0660: the owner too', { uid: 1000 }, ['warning:alice', 'warning:bob', 'warning:dave']],
    ['alice:root 0060: the owner, who may chmod it, whatever its mode', { uid: 1000, gid: 0, mode: 0o060 }, ['warning:alice']],
    ['a group split over two lines with its gid: both count', { groups: parseGroupFile('docker:x:998:alice\ndocker:x:998:bob\n') }, ['warning:alice', 'warning:bob', 'warning:dave']],
    ['root:root 0660: nobody in group root', { gid: 0 }, []],
    ['a group with no name in the database', { gid: 4242 }, []],
    ['no group database', { groups: null }, ['warning:dave']],
    ['no user database', { users: null }, ['warning:alice', 'warning:bob']],
  ])('%s', (_, parts, expected) => {
    expect(subjects(hostAuditFindings(host({ socket: unixSocket(parts) })), 'DOCKER_GROUP_MEMBERS')).toEqual(expected);
  });

  it('says each is effectively root, and how they got there', () => {
    const [alice, , dave] = hostAuditFindings(host({ socket: unixSocket() }));
    expect(alice!.message).toContain('alice may use the engine\'s socket /var/run/docker.sock (root:docker 0660) as a member of group docker: alice is effectively root on this host');
    expect(dave!.message).toContain('as docker is their primary group:');
  });

  it('cannot check an engine reached over TCP, and says so without alerting', () => {
    expect(subjects(hostAuditFindings(host({ socket: { kind: 'tcp', url: 'tcp://10.0.0.5:2376', tls: true } })), 'DOCKER_GROUP_MEMBERS')).toEqual(['info:tcp://10.0.0.5:2376']);
  });

  it('knows that the users of a rootless engine act as its owner, not as root', () => {
    const rootless = host({ securityOptions: ['name=seccomp,profile=default', 'name=rootless'], socket: unixSocket({ uid: 1000, gid: 1000, mode: 0o660, path: '/run/user/1000/docker.sock' }) });
    expect(subjects(hostAuditFindings(rootless), 'DOCKER_GROUP_MEMBERS')).toEqual([]);
    const shared = host({ securityOptions: ['name=rootless'], socket: unixSocket({ uid: 1000, gid: 998 }) });
    expect(subjects(hostAuditFindings(shared), 'DOCKER_GROUP_MEMBERS')).toEqual(['info:bob', 'info:dave']);
  });
});

describe('NO_MAC', () => {
  it.each([
    ['AppArmor', ['name=apparmor', 'name=seccomp,profile=default'], []],
    ['SELinux', ['name=selinux', 'name=seccomp,profile=default'], []],
    ['seccomp only', ['name=seccomp,profile=builtin', 'name=cgroupns'], ['warning']],
    ['nothing at all', [], ['warning']],
    ['old engines: bare names', ['apparmor', 'seccomp'], []],
    ['user namespaces', ['name=seccomp,profile=default', 'name=userns'], ['info']],
    ['rootless', ['name=seccomp,profile=default', 'name=rootless'], ['info']],
    ['the engine did not say', null, []],
  ])('%s', (_, options, expected) => {
    expect(hostAuditFindings(host({ securityOptions: options })).filter((f) => f.code === 'NO_MAC').map((f) => f.severity)).toEqual(expected);
  });
});

const fileDefaults = (driver: string | null, logOpts: Record<string, string>, parts: Partial<Extract<LogDefaults['source'], { kind: 'file' }>> = {}): LogDefaults => ({
  driver,
  source: { kind: 'file', path: '/etc/docker/daemon.json', foundBy: 'the --config-file of dockerd (pid 1)', exists: true, logDriver: null, logOpts, ...parts },
});

describe('DAEMON_LOG_DEFAULTS', () => {
  it.each([
    ['json-file without max-size', fileDefaults('json-file', {}), ['warning']],
    ['json-file with max-size', fileDefaults('json-file', { 'max-size': '10m', 'max-file': '3' }), []],
    ['json-file with max-size -1 (unlimited)', fileDefaults('json-file', { 'max-size': '-1' }), ['warning']],
    ['json-file, max-file alone caps nothing', fileDefaults('json-file', { 'max-file': '3' }), ['warning']],
    ['no daemon.json at all', fileDefaults('json-file', {}, { exists: false }), ['warning']],
    ['local: capped by default', fileDefaults('local', {}), []],
    ['journald: not on this disk', fileDefaults('journald', {}), []],
    ['the engine did not say its driver: the file', fileDefaults(null, {}, { logDriver: 'local' }), []],
    ['unreadable from here', { driver: 'json-file', source: { kind: 'unknown', reason: 'the engine at tcp://x:2376 is not on this host' } }, ['info']],
    ['unreadable, but local', { driver: 'local', source: { kind: 'unknown', reason: 'remote' } }, []],
  ] as Array<[string, LogDefaults, string[]]>)('%s', (_, defaults, expected) => {
    expect(hostAuditFindings(host({ logDefaults: defaults })).filter((f) => f.code === 'DAEMON_LOG_DEFAULTS').map((f) => f.severity)).toEqual(expected);
  });

  it('gives the exact log-opts, the file, and that only new containers get them', () => {
    const [finding] = hostAuditFindings(host({ logDefaults: fileDefaults('json-file', {}, { path: '/srv/daemon.json' }) }));
    expect(finding).toMatchObject({ code: 'DAEMON_LOG_DEFAULTS', subject: '/srv/daemon.json' });
    expect(finding!.message).toContain('add "log-opts": {"max-size": "10m", "max-file": "3"} (or "log-driver": "local") to /srv/daemon.json and restart the engine: it applies only to containers created after the restart');
  });

  it("points UNBOUNDED_LOG findings to the engine's daemon.json", () => {
    const audit = host({ logDefaults: fileDefaults('json-file', {}, { path: '/srv/daemon.json' }) });
    expect(unboundedLogDefaults(audit)).toBe('/srv/daemon.json');
    const snapshot = { takenAt: new Date(), engine: null, storage: null, usage: null, failures: [], containers: [facts({ logConfig: logConfigFacts('json-file', {}) })], audit };
    const unbounded = evaluate(snapshot, DEFAULTS).find((f) => f.code === 'UNBOUNDED_LOG')!;
    expect(unbounded.message).toMatch(/, and set the engine's default in \/srv\/daemon\.json \(DAEMON_LOG_DEFAULTS\)$/);
    const off = evaluate(snapshot, { ...DEFAULTS, audit: { ...DEFAULTS.audit, enabled: false } });
    expect(off.find((f) => f.code === 'UNBOUNDED_LOG')!.message).not.toContain('DAEMON_LOG_DEFAULTS');
    expect(off.some((f) => f.code === 'DAEMON_LOG_DEFAULTS')).toBe(false);
  });
});

describe('the audit in evaluate, and its severities', () => {
  const snapshot = {
    takenAt: new Date(),
    engine: null,
    storage: null,
    usage: null,
    failures: [],
    containers: [facts({ id: 'p', name: 'priv', security: security({ privileged: true }) }), facts({ id: 'q', name: 'plain' })],
    audit: host({ securityOptions: ['name=seccomp,profile=default'] }),
  };

  it('is in every report while audit.enabled, worst first', () => {
    expect(codes(evaluate(snapshot, DEFAULTS))).toEqual(['critical:PRIVILEGED_CONTAINER', 'warning:NO_MAC']);
    expect(exitCodeOf({ findings: evaluate(snapshot, DEFAULTS) })).toBe(2);
    expect(evaluate(snapshot, { ...DEFAULTS, audit: { ...DEFAULTS.audit, enabled: false } })).toEqual([]);
  });

  it('takes per-code severities from audit.severity', () => {
    const policy = { ...DEFAULTS, audit: { ...DEFAULTS.audit, severity: { NO_MAC: 'info' as const, PRIVILEGED_CONTAINER: 'warning' as const } } };
    expect(codes(evaluate(snapshot, policy))).toEqual(['warning:PRIVILEGED_CONTAINER', 'info:NO_MAC']);
    expect(exitCodeOf({ findings: evaluate(snapshot, policy) })).toBe(1);
    // Other codes keep theirs.
    expect(withSeverities([{ code: 'DATA_SPACE_LOW', severity: 'critical', message: '' }], { NO_MAC: 'info' })[0]!.severity).toBe('critical');
  });

  it('audits only the containers given, and the host only when asked', () => {
    expect(codes(auditFindings(snapshot, DEFAULTS.audit, [snapshot.containers[1]!], false))).toEqual([]);
    expect(codes(auditFindings(snapshot, DEFAULTS.audit, [snapshot.containers[0]!], false))).toEqual(['critical:PRIVILEGED_CONTAINER']);
  });
});

describe('the host files', () => {
  it('reads the group database, skipping comments, NIS lines and malformed ones', () => {
    expect(parseGroupFile('# comment\nroot:x:0:\ndocker:x:998:alice, bob\n+nis\nbroken\nodd:x:abc:\n\nwheel:x:10:root\n')).toEqual([
      { name: 'root', gid: 0, members: [] },
      { name: 'docker', gid: 998, members: ['alice', 'bob'] },
      { name: 'wheel', gid: 10, members: ['root'] },
    ]);
  });

  it('reads the user database', () => {
    expect(parsePasswdFile('root:x:0:0:root:/root:/bin/bash\nalice:x:1000:998:Alice,,,:/home/alice:/bin/bash\n-nis\nbad:x::\n')).toEqual([
      { name: 'root', uid: 0, gid: 0 },
      { name: 'alice', uid: 1000, gid: 998 },
    ]);
  });

  it.each([
    [['/usr/bin/dockerd', '-H', 'fd://', '--containerd=/run/containerd/containerd.sock'], { hosts: ['fd://'], configFile: null }, ['/var/run/docker.sock', '/run/docker.sock']],
    [['/usr/bin/dockerd'], { hosts: [], configFile: null }, ['/var/run/docker.sock', '/run/docker.sock']],
    [['dockerd', '--config-file', '/tmp/e/daemon.json', '--host', 'unix:///tmp/e/docker.sock'], { hosts: ['unix:///tmp/e/docker.sock'], configFile: '/tmp/e/daemon.json' }, ['/tmp/e/docker.sock']],
    [['dockerd', '--config-file=/etc/d.json', '-H=unix:///a.sock', '-Htcp://0.0.0.0:2375', '-H', 'unix:///b.sock'], { hosts: ['unix:///a.sock', 'tcp://0.0.0.0:2375', 'unix:///b.sock'], configFile: '/etc/d.json' }, ['/a.sock', '/b.sock']],
  ])('reads dockerd %j', (argv, expected, sockets) => {
    const args = parseDockerdArgs(argv);
    expect(args).toMatchObject(expected);
    expect(dockerdSockets(args)).toEqual(sockets);
  });

  it("reads dockerd's own log flags", () => {
    expect(parseDockerdArgs(['dockerd', '--log-driver', 'json-file', '--log-opt', 'max-size=10m', '--log-opt=max-file=3'])).toMatchObject({ logDriver: 'json-file', logOpts: { 'max-size': '10m', 'max-file': '3' } });
  });

  it('knows a dockerd by its program name', () => {
    expect([['/usr/bin/dockerd', '-H', 'fd://'], ['dockerd'], ['/usr/bin/dockerd-rootless.sh'], ['containerd'], []].map(isDockerd)).toEqual([true, true, false, false, false]);
  });

  it("reads a daemon.json's log settings, and refuses what dockerd would", () => {
    expect(parseDaemonJson('{"log-driver": "local", "log-opts": {"max-size": "10m", "max-file": 3}, "debug": true}')).toEqual({ logDriver: 'local', logOpts: { 'max-size': '10m', 'max-file': '3' } });
    expect(parseDaemonJson('{}')).toEqual({ logDriver: null, logOpts: {} });
    // dockerd starts with these (it drops a byte-order mark, and an empty file sets nothing).
    expect(parseDaemonJson('')).toEqual({ logDriver: null, logOpts: {} });
    expect(parseDaemonJson(' \n')).toEqual({ logDriver: null, logOpts: {} });
    expect(parseDaemonJson('\uFEFF{"log-opts": {"max-size": "5m"}}\n')).toEqual({ logDriver: null, logOpts: { 'max-size': '5m' } });
    expect(() => parseDaemonJson('{"log-opts": ')).toThrow(/not valid JSON/);
    expect(() => parseDaemonJson('[]')).toThrow(/not a JSON object/);
  });
});
