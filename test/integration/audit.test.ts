// `watchdog audit` (issue #13, its static half) against an engine of its own, as the
// issue's "What it must show" asks: containers created but never started with the
// host's / mounted, the engine's socket mounted, --privileged, --cap-add SYS_ADMIN and
// --pid host each give their finding and a plain one none; the socket's users by a group
// file and a socket whose owner and mode the test sets (a proxy socket in front of the
// engine); the engine's default log options read from the daemon.json its dockerd was
// started with (test-engine.sh writes one per engine). None of these containers is ever
// started but the one that exits at once: nothing on this host is mounted into a running
// container, and the host's own /etc/group and /etc/docker are never read.

import { chmodSync, chownSync, readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditOutputSchema } from '../../src/core/report-schema.js';
import { pathKey } from '../../src/files/runtime.js';
import { reportJson, runWatchdog } from '../helpers/cli.js';
import { startEngine, TEST_IMAGE, type TestEngine } from '../helpers/engine.js';
import { countingProxy, tcpProxy, type CountingProxy } from '../helpers/proxy.js';

let engine: TestEngine;
let state: string;
let dockerRootDir: string;
let securityOptions: string[];
const ids: Record<string, string> = {};

/** A gid no group of this host has: the socket's group in the test's own group file. */
const GID = 4242;

/** A configuration with the test's own group and user databases (never /etc/group);
 *  `extra` lines go into its audit section. */
function config(extra = '', groupFile = `${engine.dir}/group`): string {
  const path = `${engine.dir}/audit-${Math.random().toString(36).slice(2)}.yaml`;
  writeFileSync(path, `audit:\n  groupFile: ${groupFile}\n  passwdFile: ${engine.dir}/passwd\n${extra}logs:\n  archiveDir: ${engine.dir}/archive\n`);
  return path;
}

const audit = async (host: string, cfg: string, ...args: string[]) => {
  const result = await runWatchdog(['audit', '--json', '--host', host, '--state', state, '-c', cfg, ...args]);
  if (!result.stdout.trim()) throw new Error(`no output (exit ${result.code}): ${result.stderr}`);
  const out = JSON.parse(result.stdout);
  auditOutputSchema.parse(out);
  return { code: result.code, out, stderr: result.stderr };
};

type Finding = { code: string; severity: string; containerId?: string; subject?: string; message: string };
const of = (findings: Finding[], name: string) => findings.filter((f) => f.containerId === ids[name]).map((f) => `${f.severity}:${f.code}`);

/** Creates a container and never starts it. */
async function created(name: string, hostConfig: Record<string, unknown>): Promise<string> {
  const container = await engine.docker.createContainer({ Image: TEST_IMAGE, name, Cmd: ['true'], HostConfig: { NetworkMode: 'none', ...hostConfig } });
  return container.id;
}

beforeAll(async () => {
  engine = await startEngine('audit', 256);
  state = `${engine.dir}/state.db`;
  const info = await engine.docker.info();
  dockerRootDir = info.DockerRootDir;
  securityOptions = info.SecurityOptions ?? [];
  writeFileSync(`${engine.dir}/group`, `root:x:0:\nwdt-docker:x:${GID}:alice,bob\nstaff:x:50:carol\n`);
  writeFileSync(`${engine.dir}/passwd`, 'root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\nbob:x:1001:1001::/home/bob:/bin/sh\ncarol:x:1002:50::/home/carol:/bin/sh\ndeploy:x:1003:4242::/srv/deploy:/bin/sh\n');
  // The containers, created and never started.
  ids['root-mount'] = await created('root-mount', { Binds: ['/:/host'] });
  ids['socket-mount'] = await created('socket-mount', { Binds: ['/var/run/docker.sock:/var/run/docker.sock'] });
  ids.privileged = await created('privileged', { Privileged: true });
  ids['sys-admin'] = await created('sys-admin', { CapAdd: ['SYS_ADMIN'] });
  ids['pid-host'] = await created('pid-host', { PidMode: 'host' });
  ids.plain = await created('plain', {});
  // The socket this watchdog uses, and DockerRootDir read-only.
  ids['own-socket'] = await created('own-socket', { Binds: [`${engine.dir}/docker.sock:/var/run/docker.sock:ro`] });
  ids['root-dir'] = await created('root-dir', { Binds: [`${dockerRootDir}:/docker:ro`] });
  // One that ran and exited: its facts come from the state store's cache on the next run.
  const ran = await engine.docker.createContainer({ Image: TEST_IMAGE, name: 'ran-sys-admin', Cmd: ['true'], HostConfig: { NetworkMode: 'none', CapAdd: ['SYS_ADMIN'] } });
  await ran.start();
  await ran.wait();
  ids['ran-sys-admin'] = ran.id;
});

afterAll(async () => {
  await engine?.stop();
});

describe('watchdog audit: containers', () => {
  it('gives each container created with a dangerous flag its finding, with the evidence and the fix, and a plain one none', async () => {
    const { code, out } = await audit(engine.host, config());
    expect(code).toBe(2);
    expect(out).toMatchObject({ schemaVersion: 1, host: true, containers: Object.keys(ids).length, engine: { host: engine.host } });
    const findings: Finding[] = out.findings;
    expect(of(findings, 'root-mount')).toEqual(['critical:HOST_ROOT_MOUNT']);
    expect(of(findings, 'socket-mount')).toEqual(['critical:HOST_ROOT_MOUNT']);
    expect(of(findings, 'privileged')).toEqual(['critical:PRIVILEGED_CONTAINER']);
    expect(of(findings, 'sys-admin')).toEqual(['critical:PRIVILEGED_CONTAINER']);
    expect(of(findings, 'pid-host')).toEqual(['warning:PRIVILEGED_CONTAINER']);
    expect(of(findings, 'plain')).toEqual([]);
    expect(of(findings, 'own-socket')).toEqual(['critical:HOST_ROOT_MOUNT']);
    expect(of(findings, 'root-dir')).toEqual(['warning:HOST_ROOT_MOUNT']);
    expect(of(findings, 'ran-sys-admin')).toEqual(['critical:PRIVILEGED_CONTAINER']);
    const message = (name: string) => findings.find((f) => f.containerId === ids[name])!;
    expect(message('root-mount')).toMatchObject({ subject: 'root-mount', message: expect.stringMatching(/^root-mount: bind mount \/ -> \/host \(rw\) lets it write the host's whole filesystem: .*; re-create it without this mount/) });
    expect(message('socket-mount').message).toMatch(/^socket-mount: bind mount \/var\/run\/docker\.sock -> \/var\/run\/docker\.sock \(rw\) is the engine's socket: whoever runs in it can start a privileged container/);
    expect(message('own-socket').message).toContain(`bind mount ${engine.dir}/docker.sock -> /var/run/docker.sock (ro) is the engine's socket (a socket works through a read-only mount)`);
    expect(message('privileged').message).toMatch(/^privileged: --privileged: .*; re-create it without --privileged/);
    expect(message('sys-admin').message).toMatch(/^sys-admin: --cap-add SYS_ADMIN: .*; re-create it without --cap-add SYS_ADMIN$/);
    expect(message('pid-host').message).toMatch(/^pid-host: --pid host: .*; re-create it without --pid host$/);
    expect(message('root-dir').message).toContain(`bind mount ${dockerRootDir} -> /docker (ro) lets it read the engine's data`);
    // Nothing was started or changed: the created ones are still only created.
    for (const name of ['root-mount', 'socket-mount', 'privileged', 'sys-admin', 'pid-host', 'plain', 'own-socket', 'root-dir']) {
      expect((await engine.docker.getContainer(ids[name]!).inspect()).State.Status).toBe('created');
    }
  });

  it('audits only the containers named, and refuses a name that matches none', async () => {
    const { code, out } = await audit(engine.host, config(), 'plain', 'pid-host');
    expect(code).toBe(1);
    expect(out).toMatchObject({ host: false, containers: 2 });
    expect(out.findings.map((f: Finding) => `${f.subject}:${f.code}`)).toEqual(['pid-host:PRIVILEGED_CONTAINER']);
    const plain = await audit(engine.host, config(), 'plain');
    expect({ code: plain.code, findings: plain.out.findings }).toEqual({ code: 0, findings: [] });
    const unknown = await runWatchdog(['audit', 'no-such-container', '--host', engine.host, '--state', state, '-c', config()]);
    expect(unknown.code).toBe(64);
  });

  it('prints them for people: what was looked at, then every finding on its line', async () => {
    const { code, stdout } = await runWatchdog(['audit', '--host', engine.host, '--state', state, '-c', config()]);
    expect(code).toBe(2);
    expect(stdout).toMatch(/^docker-watchdog audit, \S+\nEngine: unix:\/\/\S+ {2}Docker \S+ \(API [\d.]+\) {2}\S+ {2}local\n/);
    expect(stdout).toContain(`\nSocket: ${engine.dir}/docker.sock  root:`);
    expect(stdout).toContain(`\nLog defaults: json-file, no max-size  (${engine.dir}/daemon.json)\n`);
    expect(stdout).toContain(`\nContainers: ${Object.keys(ids).length} audited, running or not\n`);
    expect(stdout).toMatch(/\n {2}CRITICAL {2}HOST_ROOT_MOUNT {7}root-mount: bind mount \/ -> \/host \(rw\) /);
  });
});

describe('watchdog audit: the socket (DOCKER_GROUP_MEMBERS)', () => {
  let proxy: CountingProxy;
  const socket = () => `${engine.dir}/group.sock`;

  beforeAll(async () => {
    // A socket of the test's own in front of the engine, whose owner and mode it sets.
    proxy = await countingProxy(`${engine.dir}/docker.sock`, socket());
    chownSync(socket(), 0, GID);
  });

  afterAll(async () => {
    await proxy?.close();
  });

  const users = (findings: Finding[]) => findings.filter((f) => f.code === 'DOCKER_GROUP_MEMBERS').map((f) => `${f.severity}:${f.subject}`);

  it("names every member of the socket's group, and whose primary group it is, as effectively root", async () => {
    chmodSync(socket(), 0o660);
    const { out } = await audit(proxy.host, config());
    expect(users(out.findings)).toEqual(['warning:alice', 'warning:bob', 'warning:deploy']);
    const alice = out.findings.find((f: Finding) => f.subject === 'alice');
    expect(alice.message).toBe(`alice may use the engine's socket ${socket()} (root:wdt-docker 0660) as a member of group wdt-docker: alice is effectively root on this host; remove alice from wdt-docker (gpasswd -d alice wdt-docker) and let them use sudo docker, or rootless Docker`);
    expect(out.findings.find((f: Finding) => f.subject === 'deploy').message).toContain('as wdt-docker is their primary group');
  });

  it('is critical when every user may write to the socket, and quiet when only root may', async () => {
    chmodSync(socket(), 0o666);
    const open = await audit(proxy.host, config());
    expect(open.code).toBe(2);
    expect(users(open.out.findings)).toEqual([`critical:${socket()}`, 'warning:alice', 'warning:bob', 'warning:deploy']);
    expect(open.out.findings[0].message).toContain('is writable by every user: every user of this host is effectively root on this host; chmod 660');
    chmodSync(socket(), 0o600);
    expect(users((await audit(proxy.host, config())).out.findings)).toEqual([]);
    chmodSync(socket(), 0o660);
  });

  it('reads the group database it is told to, and says when it cannot', async () => {
    const { code, out } = await audit(proxy.host, config(), 'plain');
    expect(code).toBe(0); // named containers: the host is not audited
    expect(users(out.findings)).toEqual([]);
    const missing = `${engine.dir}/no-group`;
    const broken = await audit(proxy.host, config('', missing));
    expect(broken.out.findings).toContainEqual(expect.objectContaining({ code: 'COLLECTOR_FAILED', subject: 'audit', message: `audit: cannot read the group database ${missing} (ENOENT): the users of the engine's socket are unknown; set audit.groupFile` }));
    // Those whose primary group it is are still known from the user database.
    expect(users(broken.out.findings)).toEqual(['warning:deploy']);
  });

  it('cannot check an engine reached over TCP, and says so without alerting', async () => {
    const remote = await tcpProxy(`${engine.dir}/docker.sock`);
    try {
      const { out } = await audit(remote.host, config());
      expect(out.findings.filter((f: Finding) => f.code === 'DOCKER_GROUP_MEMBERS')).toEqual([expect.objectContaining({ severity: 'info', subject: remote.host })]);
      expect(out.findings.filter((f: Finding) => f.code === 'DAEMON_LOG_DEFAULTS')).toEqual([expect.objectContaining({ severity: 'info', message: expect.stringContaining(`the engine at ${remote.host} is not on this host`) })]);
      // The containers are audited as over a socket.
      expect(of(out.findings, 'root-mount')).toEqual(['critical:HOST_ROOT_MOUNT']);
    } finally {
      await remote.close();
    }
  });
});

describe("watchdog audit: the engine's confinement and log defaults", () => {
  it("reads the default log options from the daemon.json the engine's dockerd was started with", async () => {
    const { out } = await audit(engine.host, config());
    const pid = readFileSync(`${engine.dir}/docker.pid`, 'utf8').trim();
    const [defaults] = out.findings.filter((f: Finding) => f.code === 'DAEMON_LOG_DEFAULTS');
    expect(defaults).toMatchObject({ severity: 'warning', subject: `${engine.dir}/daemon.json` });
    expect(defaults.message).toBe(
      `the engine's default log driver is json-file with no max-size (${engine.dir}/daemon.json; the --config-file of dockerd (pid ${pid}), which serves ${engine.host}): every container created without --log-opt max-size logs without a cap until the disk is full; add "log-opts": {"max-size": "10m", "max-file": "3"} (or "log-driver": "local") to ${engine.dir}/daemon.json and restart the engine: it applies only to containers created after the restart`,
    );
    // The runtime folder remembers that dockerd for the next run (collect/audit.ts). A
    // pid that is now another process (1: init) is found out, and every process read.
    const memo = `${process.env.WATCHDOG_RUNTIME_DIR}/dockerd/${pathKey(engine.host.replace(/^unix:\/\//, ''))}`;
    expect(readFileSync(memo, 'utf8')).toBe(pid);
    writeFileSync(memo, '1');
    const again = await audit(engine.host, config());
    expect(again.out.findings.filter((f: Finding) => f.code === 'DAEMON_LOG_DEFAULTS').map((f: Finding) => f.message)).toEqual([defaults.message]);
    expect(readFileSync(memo, 'utf8')).toBe(pid);
    // A daemon.json that caps logs (audit.daemonConfig names it): no finding.
    writeFileSync(`${engine.dir}/capped.json`, '{"log-opts": {"max-size": "10m", "max-file": "3"}}');
    const capped = await audit(engine.host, config(`  daemonConfig: ${engine.dir}/capped.json\n`));
    expect(capped.out.findings.filter((f: Finding) => f.code === 'DAEMON_LOG_DEFAULTS')).toEqual([]);
  });

  it("says NO_MAC exactly when the engine's security options name neither AppArmor nor SELinux, and takes severities from audit.severity", async () => {
    const confined = securityOptions.some((o) => /name=(apparmor|selinux)/.test(o));
    const { out } = await audit(engine.host, config());
    expect(out.findings.filter((f: Finding) => f.code === 'NO_MAC').map((f: Finding) => f.severity)).toEqual(confined ? [] : ['warning']);
    const relaxed = await audit(engine.host, config('  severity: { NO_MAC: info, HOST_ROOT_MOUNT: warning, PRIVILEGED_CONTAINER: info, DAEMON_LOG_DEFAULTS: info }\n'));
    expect(relaxed.out.findings.filter((f: Finding) => f.code === 'NO_MAC').map((f: Finding) => f.severity)).toEqual(confined ? [] : ['info']);
    expect(new Set(relaxed.out.findings.filter((f: Finding) => f.code === 'HOST_ROOT_MOUNT').map((f: Finding) => f.severity))).toEqual(new Set(['warning']));
    expect(relaxed.code).toBe(1);
  });
});

describe('the audit in report and check', () => {
  it('is in report and check while audit.enabled (the default), and points UNBOUNDED_LOG to the daemon.json', async () => {
    const cfg = config();
    const { code, report } = await reportJson(engine.host, ['-c', cfg, '--state', state]);
    expect(code).toBe(2);
    const codes = new Set(report.findings.map((f: Finding) => f.code));
    for (const c of ['HOST_ROOT_MOUNT', 'PRIVILEGED_CONTAINER', 'DAEMON_LOG_DEFAULTS']) expect(codes).toContain(c);
    const unbounded = report.findings.find((f: Finding) => f.code === 'UNBOUNDED_LOG' && f.containerId === ids.plain);
    expect(unbounded.message).toMatch(new RegExp(`, and set the engine's default in ${engine.dir}/daemon\\.json \\(DAEMON_LOG_DEFAULTS\\)$`));
    // The exited container's facts, security included, come from the cache this time.
    const again = await reportJson(engine.host, ['-c', cfg, '--state', state]);
    expect(again.report.collectors.find((c: { collector: string }) => c.collector === 'containers').cached).toBeGreaterThanOrEqual(1);
    expect(of(again.report.findings, 'ran-sys-admin')).toEqual(['critical:PRIVILEGED_CONTAINER', 'info:UNBOUNDED_LOG']);

    const check = await runWatchdog(['check', '--dry-run', '--json', '--host', engine.host, '--state', state, '-c', cfg]);
    expect(check.code).toBe(2);
    expect(of(JSON.parse(check.stdout).findings, 'root-mount')).toEqual(['critical:HOST_ROOT_MOUNT', 'info:UNBOUNDED_LOG']);
  });

  it('is left out of report and check with audit.enabled false', async () => {
    const cfg = config('  enabled: false\n');
    const { report } = await reportJson(engine.host, ['-c', cfg, '--state', state]);
    const audited = ['DOCKER_GROUP_MEMBERS', 'HOST_ROOT_MOUNT', 'PRIVILEGED_CONTAINER', 'NO_MAC', 'DAEMON_LOG_DEFAULTS'];
    expect(report.findings.filter((f: Finding) => audited.includes(f.code))).toEqual([]);
    expect(report.collectors.map((c: { collector: string }) => c.collector)).not.toContain('audit');
    const check = await runWatchdog(['check', '--dry-run', '--json', '--host', engine.host, '--state', state, '-c', cfg]);
    expect(JSON.parse(check.stdout).findings.filter((f: Finding) => audited.includes(f.code))).toEqual([]);
    // `watchdog audit` itself audits all the same.
    const { out } = await audit(engine.host, cfg);
    expect(out.findings.some((f: Finding) => f.code === 'HOST_ROOT_MOUNT')).toBe(true);
  });
});
