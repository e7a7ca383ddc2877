// The audit's collector (collect/audit.ts) on files a test writes: a socket of its own,
// group and user databases, a /proc with dockerd command lines, daemon.json files. No
// engine: the host's own /etc/group, /proc and /etc/docker are never read here.

import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readHostAudit, type AuditSources, type DockerdMemo } from '../../src/collect/audit.js';
import { collectSnapshot } from '../../src/collect/index.js';
import { hostAuditFindings } from '../../src/core/audit.js';
import { changeToken, containerSecurity } from '../../src/collect/containers.js';
import type { EngineAddress } from '../../src/engine/host.js';
import { openingInTurn } from '../helpers/opening.js';

let dir: string;
let socket: string;
let server: net.Server;
let sources: AuditSources;

/** A /proc holding one process per command line. */
function proc(...cmdlines: string[][]): string {
  const root = mkdtempSync(join(dir, 'proc-'));
  cmdlines.forEach((argv, i) => {
    const pid = join(root, String(100 + i));
    mkdirSync(pid);
    const program = argv[0]!;
    writeFileSync(join(pid, 'comm'), `${program.slice(program.lastIndexOf('/') + 1).slice(0, 15)}\n`);
    writeFileSync(join(pid, 'cmdline'), `${argv.join('\0')}\0`);
  });
  mkdirSync(join(root, 'self'));
  return root;
}

const unix = (path: string): EngineAddress => ({ kind: 'unix', url: `unix://${path}`, socketPath: path });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wd-audit-'));
  socket = join(dir, 'docker.sock');
  server = net.createServer();
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  chmodSync(socket, 0o660);
  writeFileSync(join(dir, 'group'), `docker:x:${process.getgid!()}:alice\nwheel:x:4242:bob\n`);
  writeFileSync(join(dir, 'passwd'), `root:x:0:0::/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n`);
  writeFileSync(join(dir, 'daemon.json'), '{"log-opts": {"max-file": "3"}}');
  sources = { groupFile: join(dir, 'group'), passwdFile: join(dir, 'passwd'), daemonConfig: null, procDir: proc() };
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

describe('readHostAudit', () => {
  it("reads the socket's owner, group and mode, and the databases", () => {
    const { audit, failures } = readHostAudit(unix(socket), sources)({ SecurityOptions: ['name=seccomp,profile=default'], LoggingDriver: 'json-file' });
    expect(failures).toEqual([]);
    expect(audit.socket).toMatchObject({ kind: 'unix', path: socket, uid: process.getuid!(), gid: process.getgid!(), mode: 0o660 });
    expect(audit.securityOptions).toEqual(['name=seccomp,profile=default']);
    expect(audit.sockets).toContain(socket);
    // No dockerd serves this socket, and it is not the default one: unknown, not /etc/docker.
    expect(audit.logDefaults).toEqual({ driver: 'json-file', source: { kind: 'unknown', reason: `no dockerd process visible here serves unix://${socket}` } });
    expect(hostAuditFindings(audit).filter((f) => f.code === 'DOCKER_GROUP_MEMBERS').map((f) => f.subject)).toEqual(['alice']);
  });

  it('skips a dockerd in another mount namespace (Docker in Docker), whose paths are not these', () => {
    const procDir = proc(['dockerd', '--config-file', '/nonexistent/dind.json', `--host=unix://${socket}`], ['dockerd', '--config-file', join(dir, 'daemon.json'), `--host=unix://${socket}`]);
    for (const [pid, ns] of [['self', 'mnt:[4026531841]'], ['100', 'mnt:[4026532999]'], ['101', 'mnt:[4026531841]']] as const) {
      mkdirSync(join(procDir, pid, 'ns'), { recursive: true });
      symlinkSync(ns, join(procDir, pid, 'ns', 'mnt'));
    }
    const { audit, failures } = readHostAudit(unix(socket), { ...sources, procDir })({ LoggingDriver: 'json-file' });
    expect(failures).toEqual([]);
    expect(audit.logDefaults?.source).toMatchObject({ kind: 'file', path: join(dir, 'daemon.json'), foundBy: `the --config-file of dockerd (pid 101), which serves unix://${socket}` });
  });

  it('finds the daemon.json of the dockerd whose -H names the socket, with its own log flags', () => {
    const procDir = proc(['containerd', '--config', '/x'], ['/usr/bin/dockerd', '-H', 'unix:///elsewhere.sock', '--config-file', '/nonexistent/other.json'], ['dockerd', '--config-file', join(dir, 'daemon.json'), `--host=unix://${socket}`, '--log-opt', 'mode=non-blocking']);
    const { audit, failures } = readHostAudit(unix(socket), { ...sources, procDir })({ LoggingDriver: 'json-file' });
    expect(failures).toEqual([]);
    expect(audit.logDefaults?.source).toEqual({
      kind: 'file',
      path: join(dir, 'daemon.json'),
      foundBy: `the --config-file of dockerd (pid 102), which serves unix://${socket}`,
      exists: true,
      logDriver: null,
      logOpts: { 'max-file': '3', mode: 'non-blocking' },
    });
    const [finding] = hostAuditFindings(audit).filter((f) => f.code === 'DAEMON_LOG_DEFAULTS');
    expect(finding).toMatchObject({ severity: 'warning', subject: join(dir, 'daemon.json') });
  });

  it('reads the dockerd the last run found first, and every process again when that one no longer serves the socket', () => {
    const serving = ['dockerd', '--config-file', join(dir, 'daemon.json'), `--host=unix://${socket}`];
    const procDir = proc(serving, serving, ['containerd', '--config', '/x']);
    const remembered: Array<number | null> = [];
    const pidFound = (recalled: number | null) => {
      const dockerdMemo: DockerdMemo = {
        recall: (s) => (s === socket ? recalled : null),
        remember: (s, pid) => void remembered.push(s === socket ? pid : -1),
      };
      const { audit } = readHostAudit(unix(socket), { ...sources, procDir, dockerdMemo })({ LoggingDriver: 'json-file' });
      const source = audit.logDefaults?.source;
      return Number(/\(pid (\d+)\)/.exec(source && 'foundBy' in source ? source.foundBy : '')?.[1]);
    };
    // Nothing remembered: every process is read, and the first that serves is remembered.
    const first = pidFound(null);
    expect([100, 101]).toContain(first);
    expect(remembered).toEqual([first]);
    // The other one remembered is read first, and kept: every process would give the first.
    const other = first === 100 ? 101 : 100;
    expect(pidFound(other)).toBe(other);
    expect(remembered).toEqual([first]);
    // Remembered, but now containerd, or gone: every process again.
    expect(pidFound(102)).toBe(first);
    expect(pidFound(999)).toBe(first);
    expect(remembered).toEqual([first, first, first]);
    // None serves: nothing is remembered.
    remembered.length = 0;
    expect(readHostAudit(unix(socket), { ...sources, procDir: proc(['containerd']), dockerdMemo: { recall: () => 101, remember: (_s, pid) => void remembered.push(pid) } })(null).failures).toEqual([]);
    expect(remembered).toEqual([null]);
  });

  it('takes audit.daemonConfig as it is, and a missing file as built-in defaults', () => {
    const { audit, failures } = readHostAudit(unix(socket), { ...sources, daemonConfig: join(dir, 'none.json') })({ LoggingDriver: 'json-file' });
    expect(failures).toEqual([]);
    expect(audit.logDefaults?.source).toMatchObject({ kind: 'file', path: join(dir, 'none.json'), foundBy: 'set by audit.daemonConfig', exists: false, logOpts: {} });
  });

  it('says what it could not read, and keeps the rest', () => {
    writeFileSync(join(dir, 'broken.json'), '{"log-opts": ');
    const { audit, failures } = readHostAudit(unix(socket), { ...sources, groupFile: join(dir, 'nogroup'), daemonConfig: join(dir, 'broken.json') })({ LoggingDriver: 'json-file' });
    expect(failures).toEqual([
      expect.stringMatching(/^cannot read the group database .*nogroup \(ENOENT\): the users of the engine's socket are unknown; set audit\.groupFile$/),
      expect.stringMatching(/^the engine's daemon\.json .*broken\.json cannot be read as dockerd would: it is not valid JSON/),
    ]);
    expect(audit.socket).toMatchObject({ kind: 'unix', groups: null });
    expect(audit.logDefaults).toBeNull();
    const gone = readHostAudit(unix(join(dir, 'gone.sock')), sources)(null);
    expect(gone.failures).toEqual([expect.stringMatching(/^cannot stat the engine's socket .*gone\.sock \(ENOENT\)/)]);
    expect(gone.audit.socket).toBeNull();
  });

  it('cannot check a TCP engine, and reads none of its files', () => {
    const { audit, failures } = readHostAudit({ kind: 'tcp', url: 'tcp://127.0.0.1:2375', host: '127.0.0.1', port: 2375, tls: false, certPath: null }, sources)({ LoggingDriver: 'json-file' });
    expect(failures).toEqual([]);
    expect(audit.socket).toEqual({ kind: 'tcp', url: 'tcp://127.0.0.1:2375', tls: false });
    expect(audit.logDefaults?.source).toEqual({ kind: 'unknown', reason: 'the engine at tcp://127.0.0.1:2375 is not on this host' });
    expect(audit.sockets).toEqual([]);
  });

  it('is a collector of the snapshot only when asked for, and its failures are findings', async () => {
    const engine = {
      address: unix(join(dir, 'gone.sock')),
      ping: async () => {},
      apiVersion: () => '1.41',
      info: async () => ({ ID: 'e', Name: 'h', ServerVersion: '20.10.24', Driver: 'overlay2', DriverStatus: [], DockerRootDir: '/nonexistent/docker', SecurityOptions: ['name=apparmor'], LoggingDriver: 'local' }),
      listContainers: async () => [],
    };
    const client = { ...engine, opening: () => openingInTurn(engine) } as never;
    const without = await collectSnapshot(client, { now: new Date(), env: {}, skipUsage: true });
    expect(without.snapshot.audit).toBeUndefined();
    const withAudit = await collectSnapshot(client, { now: new Date(), env: {}, skipUsage: true, audit: sources });
    expect(withAudit.snapshot.audit).toMatchObject({ securityOptions: ['name=apparmor'], socket: null });
    expect(withAudit.snapshot.failures).toEqual([{ collector: 'audit', message: expect.stringMatching(/^cannot stat the engine's socket/) }]);
    expect(withAudit.timings.map((t) => t.collector)).toContain('audit');
  });

  it("reads the host's files before the engine has answered, and a read that throws is the collector's failure, not the run's (issue #14)", async () => {
    const order: string[] = [];
    const engine = {
      address: unix(socket),
      ping: () => new Promise<void>((resolve) => setTimeout(() => resolve(void order.push('ping answered')), 20)),
      apiVersion: () => '1.41',
      info: async () => ({ ID: 'e', Name: 'h', ServerVersion: '20.10.24', Driver: 'overlay2', DriverStatus: [], DockerRootDir: '/nonexistent/docker', LoggingDriver: 'json-file' }),
      listContainers: async () => [],
    };
    const client = { ...engine, opening: () => openingInTurn(engine) } as never;
    const watched: AuditSources = {
      ...sources,
      get groupFile() {
        order.push('group file read');
        return sources.groupFile;
      },
    };
    const { snapshot } = await collectSnapshot(client, { now: new Date(), env: {}, skipUsage: true, audit: watched });
    expect(order).toEqual(['group file read', 'ping answered']);
    expect(snapshot.audit?.socket).toMatchObject({ kind: 'unix', path: socket });

    const broken: AuditSources = {
      ...sources,
      get passwdFile(): string {
        throw new Error('the user database is gone');
      },
    };
    const failed = await collectSnapshot(client, { now: new Date(), env: {}, skipUsage: true, audit: broken });
    expect(failed.snapshot.failures).toEqual([{ collector: 'audit', message: 'the user database is gone' }]);
    expect(failed.snapshot.audit).toBeUndefined();
    expect(failed.timings.find((t) => t.collector === 'audit')).toMatchObject({ ok: false });
    expect(failed.snapshot.engine?.id).toBe('e');
  });
});

describe('containerSecurity', () => {
  it('reads HostConfig and every bind mount, from Mounts, Binds and HostConfig.Mounts', () => {
    const found = containerSecurity({
      Id: 'c',
      HostConfig: {
        Privileged: false,
        CapAdd: ['SYS_ADMIN'],
        PidMode: 'host',
        IpcMode: 'private',
        NetworkMode: 'none',
        SecurityOpt: ['seccomp=unconfined'],
        Devices: [{ PathOnHost: '/dev/fuse', PathInContainer: '/dev/fuse', CgroupPermissions: 'rwm' }],
        Binds: ['/:/host', '/var/run/docker.sock:/var/run/docker.sock:ro,z', 'named:/data', '/etc/:/host/etc:ro'],
        Mounts: [{ Type: 'bind', Source: '/usr', Target: '/host/usr', ReadOnly: true }, { Type: 'volume', Source: 'v', Target: '/v' }, { Type: 'tmpfs', Target: '/cache' }],
        Tmpfs: { '/run': 'rw,size=64m' },
      },
      // A created container's mount points, as the engine registered them (paths cleaned:
      // the /etc/ of Binds is /etc here, and one mount).
      Mounts: [
        { Type: 'bind', Source: '/etc', Destination: '/host/etc', RW: false },
        { Type: 'bind', Source: '/', Destination: '/host', RW: true },
        { Type: 'volume', Source: '/var/lib/docker/volumes/named/_data', Destination: '/data', RW: true },
      ],
    });
    expect(found).toEqual({
      privileged: false,
      capAdd: ['SYS_ADMIN'],
      pidMode: 'host',
      ipcMode: 'private',
      networkMode: 'none',
      securityOpt: ['seccomp=unconfined'],
      devices: [{ pathOnHost: '/dev/fuse', pathInContainer: '/dev/fuse', permissions: 'rwm' }],
      deviceCgroupRules: [],
      binds: [
        { source: '/etc', destination: '/host/etc', readOnly: true },
        { source: '/', destination: '/host', readOnly: false },
        { source: '/var/run/docker.sock', destination: '/var/run/docker.sock', readOnly: true },
        { source: '/usr', destination: '/host/usr', readOnly: true },
      ],
      // --tmpfs and --mount type=tmpfs; the writable volumes and binds among the mount points.
      tmpfs: ['/cache', '/run'],
      writableMounts: ['/data', '/host'],
    });
  });

  it("is cached with an exited container's facts under a change token of its own shape (v5): facts cached before it existed are read again", () => {
    mkdirSync(join(dir, 'root', 'containers', 'abc'), { recursive: true });
    writeFileSync(join(dir, 'root', 'containers', 'abc', 'config.v2.json'), '{}');
    expect(changeToken(join(dir, 'root'), 'abc')).toMatch(/^v5:\d+:2:\d+$/);
  });

  it('is empty for a container inspect says nothing of', () => {
    expect(containerSecurity({ Id: 'c' })).toEqual({ privileged: false, capAdd: [], pidMode: '', ipcMode: '', networkMode: '', securityOpt: [], devices: [], deviceCgroupRules: [], binds: [], tmpfs: [], writableMounts: [] });
  });
});
