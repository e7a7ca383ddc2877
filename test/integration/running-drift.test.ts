// RUNNING_DRIFT (issue #13) against an engine of its own: a running container that
// writes /etc/evil is critical in `watchdog check`, gets a forensic bundle taken from the
// running container and an alert by mail; a second check within drift.runningInterval
// runs no `docker diff` (counted at a proxy) and writes no second bundle; a check made
// due again finds the same drift and writes no new bundle either; `report` and `watchdog
// audit` show the last check without a diff; onSuspiciousRunning: pause pauses, and
// --dry-run does not; a container that writes only /tmp gives nothing. Every container
// runs with --network none from the local busybox image.

import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import tar from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditOutputSchema } from '../../src/core/report-schema.js';
import { reportJson, runWatchdog } from '../helpers/cli.js';
import { runContainer, startEngine, type TestEngine } from '../helpers/engine.js';
import { countingProxy, type CountingProxy } from '../helpers/proxy.js';
import { startDaemon, stopAllDaemons } from '../helpers/daemon.js';
import { startSmtp, type TestSmtp } from '../helpers/smtp.js';

let engine: TestEngine;
let proxy: CountingProxy;
let smtp: TestSmtp;
let state: string;
const ids: Record<string, string> = {};

type Finding = { code: string; severity: string; containerId?: string; message: string };

/** A configuration with the audit's own group and user files (never this host's), the
 *  archive in the engine's folder, and mail to the test's SMTP server. */
function config(name: string, drift = ''): string {
  const path = `${engine.dir}/${name}.yaml`;
  writeFileSync(
    path,
    `audit:\n  groupFile: ${engine.dir}/group\n  passwdFile: ${engine.dir}/passwd\nlogs:\n  archiveDir: ${engine.dir}/archive\n` +
      `drift:\n  runningInterval: 1h\n${drift}` +
      `alerts:\n  email:\n    host: 127.0.0.1\n    port: ${smtp.port}\n    from: watchdog@test.invalid\n    to: [ops@test.invalid]\n`,
  );
  return path;
}

const changesRequests = () => proxy.requests().filter((r) => /^GET \/containers\/[0-9a-f]+\/changes/.test(r));
const forensics = () => (existsSync(`${engine.dir}/archive/forensics`) ? readdirSync(`${engine.dir}/archive/forensics`) : []);

async function check(cfg: string, ...args: string[]): Promise<{ code: number | null; out: any; stderr: string }> {
  const result = await runWatchdog(['check', '--json', '--host', proxy.host, '--state', state, '-c', cfg, ...args]);
  if (!result.stdout.trim()) throw new Error(`no output (exit ${result.code}): ${result.stderr}`);
  return { code: result.code, out: JSON.parse(result.stdout), stderr: result.stderr };
}

const runningDriftOf = (findings: Finding[], name: string) => findings.filter((f) => f.code === 'RUNNING_DRIFT' && f.containerId === ids[name]).map((f) => f.severity);

/** Starts a container that runs `script` and then sleeps, and waits until its drift
 *  shows `path`. */
async function started(name: string, script: string, path: string): Promise<void> {
  ids[name] = await runContainer(engine.docker, { name, cmd: ['sh', '-c', `${script}; exec sleep 3600`], detach: true });
  for (let tries = 0; tries < 100; tries++) {
    const changes = ((await engine.docker.getContainer(ids[name]!).changes()) ?? []) as Array<{ Path: string }>;
    if (changes.some((c) => c.Path === path)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${name} did not write ${path}`);
}

beforeAll(async () => {
  engine = await startEngine('running-drift', 256);
  state = `${engine.dir}/state.db`;
  proxy = await countingProxy(`${engine.dir}/docker.sock`, `${engine.dir}/proxy.sock`);
  smtp = await startSmtp();
  writeFileSync(`${engine.dir}/group`, 'root:x:0:\n');
  writeFileSync(`${engine.dir}/passwd`, 'root:x:0:0:root:/root:/bin/sh\n');
  await started('evil', 'echo planted > /etc/evil', '/etc/evil');
  await started('clean', 'echo fine > /tmp/ok', '/tmp/ok');
}, 60_000);

afterAll(async () => {
  await stopAllDaemons();
  await proxy?.close();
  await smtp?.close();
  await engine?.stop();
});

describe('RUNNING_DRIFT', () => {
  it('check: critical for a running container that wrote /etc/evil, with its bundle from the running container, its alert and its journal entry; nothing for one that wrote only /tmp', async () => {
    const cfg = config('alert');
    proxy.reset();
    const { out } = await check(cfg);
    expect(runningDriftOf(out.findings, 'evil')).toEqual(['critical']);
    expect(runningDriftOf(out.findings, 'clean')).toEqual([]);
    // One diff per running container, one at a time, each timed.
    expect(changesRequests()).toHaveLength(2);
    const checks = out.runningDrift.checks as Array<{ containerId: string; status: string; durationMs: number; bundle: string | null }>;
    expect(checks.map((c) => [c.containerId, c.status]).sort()).toEqual([[ids.clean, 'clean'], [ids.evil, 'suspicious']].sort());
    expect(checks.every((c) => c.durationMs > 0)).toBe(true);

    // The bundle: a folder of its own for a running container, with the change and the file.
    const folders = forensics();
    expect(folders).toEqual([expect.stringMatching(new RegExp(`^evil-${ids.evil!.slice(0, 12)}-running-`))]);
    const folder = `${engine.dir}/archive/forensics/${folders[0]}`;
    expect(checks.find((c) => c.containerId === ids.evil)!.bundle).toBe(folder);
    expect(JSON.parse(readFileSync(`${folder}/changes.json`, 'utf8'))).toContainEqual({ path: '/etc/evil', kind: 'added' });
    expect(execFileSync('tar', ['-xOf', `${folder}/changed-files.tar`, 'etc/evil']).toString()).toBe('planted\n');

    // The alert, and the journal.
    const mail = smtp.received.find((m) => m.body.includes('RUNNING_DRIFT') || m.body.includes('/etc/evil'));
    expect(mail?.body).toMatch(/evil: running, it changed system paths: A \/etc\/evil/);
    const db = new Database(state, { readonly: true });
    try {
      expect(db.prepare("SELECT action, outcome, details FROM journal WHERE container_id = ? AND action IN ('bundle', 'pause')").all(ids.evil)).toEqual([{ action: 'bundle', outcome: 'done', details: folder }]);
    } finally {
      db.close();
    }
  });

  it('a second check within drift.runningInterval runs no docker diff and writes no second bundle; report and audit show the last check without a diff', async () => {
    const cfg = config('alert');
    proxy.reset();
    const { out } = await check(cfg);
    expect(changesRequests()).toEqual([]);
    expect(out.runningDrift.checks).toEqual([]);
    expect(runningDriftOf(out.findings, 'evil')).toEqual(['critical']);
    expect(forensics()).toHaveLength(1);

    const { report } = await reportJson(proxy.host, ['--state', state, '-c', cfg]);
    expect(runningDriftOf(report.findings, 'evil')).toEqual(['critical']);
    const audit = await runWatchdog(['audit', '--json', '--host', proxy.host, '--state', state, '-c', cfg]);
    const audited = auditOutputSchema.parse(JSON.parse(audit.stdout));
    expect(runningDriftOf(audited.findings, 'evil')).toEqual(['critical']);
    expect(audited.runningDrift.map((c) => [c.name, c.status, c.changes > 0, c.durationMs > 0]).sort()).toEqual([
      ['clean', 'clean', true, true],
      ['evil', 'suspicious', true, true],
    ]);
    expect(changesRequests()).toEqual([]);
  });

  it('a check due again finds the same drift: a new diff, no new bundle', async () => {
    const db = new Database(state);
    try {
      // Two hours ago, as drift.runningInterval (1h) later would be: the CLI reads the real clock.
      db.prepare('UPDATE running_drift SET checked_at = checked_at - 7200000').run();
    } finally {
      db.close();
    }
    proxy.reset();
    const { out } = await check(config('alert'));
    expect(changesRequests()).toHaveLength(2);
    expect(runningDriftOf(out.findings, 'evil')).toEqual(['critical']);
    expect(forensics()).toHaveLength(1);
    expect(out.runningDrift.checks.find((c: { containerId: string }) => c.containerId === ids.evil).bundle).toContain(forensics()[0]);
  });

  it('onSuspiciousRunning pause: --dry-run checks and shows the plan but neither pauses nor bundles; check pauses it', async () => {
    await started('evil2', 'echo planted > /etc/evil2', '/etc/evil2');
    const cfg = config('pause', '  onSuspiciousRunning: pause\n');
    proxy.reset();
    const dry = await runWatchdog(['check', '--dry-run', '--host', proxy.host, '--state', state, '-c', cfg]);
    expect(dry.stdout).toContain('evil2: would write its forensic bundle and pause it: running, it changed 1 system path (drift.onSuspiciousRunning: pause)');
    expect(changesRequests()).toHaveLength(1);
    expect((await engine.docker.getContainer(ids.evil2!).inspect()).State.Paused).toBe(false);
    expect(forensics().filter((f) => f.startsWith('evil2-'))).toEqual([]);

    const { out } = await check(cfg);
    expect(runningDriftOf(out.findings, 'evil2')).toEqual(['critical']);
    expect((await engine.docker.getContainer(ids.evil2!).inspect()).State.Paused).toBe(true);
    expect(forensics().filter((f) => f.startsWith('evil2-'))).toHaveLength(1);
    // The first container's drift is not new: it is not paused.
    expect((await engine.docker.getContainer(ids.evil!).inspect()).State.Paused).toBe(false);
  });

  it('the daemon checks in its full pass: a line per check with its cost, the bundle as an action', async () => {
    await started('evil3', 'echo planted > /usr/evil3', '/usr/evil3');
    const daemon = startDaemon(['watch', '--host', engine.host, '-c', config('daemon'), '--state', state, '--log-format', 'json']);
    const line = await daemon.waitFor('`running-drift` line of evil3', (l) => l.event === 'running-drift' && l.containerId === ids.evil3, 30_000);
    expect(line).toMatchObject({ container: 'evil3', status: 'suspicious' });
    expect(line.durationMs).toBeGreaterThan(0);
    await daemon.waitFor('`action` line of evil3', (l) => l.event === 'action' && l.containerId === ids.evil3 && l.action === 'bundle', 10_000);
    // The others were checked within drift.runningInterval: no line for them.
    expect(daemon.lines.filter((l) => l.event === 'running-drift').map((l) => l.container)).toEqual(['evil3']);
    await daemon.stop();
    expect(forensics().filter((f) => f.startsWith('evil3-'))).toHaveLength(1);
  });

  it('SETUID_DRIFT from a running container: a setuid copy of busybox under /tmp (allowed, so no RUNNING_DRIFT) is critical, gets its bundle, and report shows it from the store', async () => {
    // It removes the file itself once told to (a file put into /run): no `docker exec`,
    // which the chrooted 26.1 test engine does not run.
    await started('suid', 'cp /bin/busybox /tmp/sh && chmod 4755 /tmp/sh; until [ -e /run/remove-sh ]; do sleep 1; done; rm /tmp/sh', '/tmp/sh');
    const cfg = config('suid');
    const { out } = await check(cfg);
    const of = (findings: Finding[]) => findings.filter((f) => f.containerId === ids.suid && /DRIFT/.test(f.code)).map((f) => `${f.severity}:${f.code}`);
    expect(of(out.findings)).toEqual(['critical:SETUID_DRIFT']);
    expect(out.findings.find((f: Finding) => f.code === 'SETUID_DRIFT' && f.containerId === ids.suid).message).toMatch(/^suid: setuid file written in its own filesystem: \/tmp\/sh 4755 \(setuid\)/);
    // Its own set of suspicious paths: a bundle holding the file.
    const folder = forensics().find((f) => f.startsWith(`suid-${ids.suid!.slice(0, 12)}-running-`));
    expect(folder).toBeDefined();
    expect(execFileSync('tar', ['-tf', `${engine.dir}/archive/forensics/${folder}/changed-files.tar`]).toString()).toContain('tmp/sh');
    // report runs no diff: the finding comes from the recorded check.
    proxy.reset();
    const { report } = await reportJson(proxy.host, ['--state', state, '-c', cfg]);
    expect(of(report.findings)).toEqual(['critical:SETUID_DRIFT']);
    expect(changesRequests()).toEqual([]);

    // The file removed, and the container due again: the new check's word replaces the
    // store's, so the finding goes (and its alert resolves) instead of staying critical.
    const signal = tar.pack();
    signal.entry({ name: 'remove-sh' }, '');
    signal.finalize();
    await engine.docker.getContainer(ids.suid!).putArchive(signal as unknown as NodeJS.ReadableStream, { path: '/run' });
    for (let tries = 0; ; tries++) {
      const changes = ((await engine.docker.getContainer(ids.suid!).changes()) ?? []) as Array<{ Path: string }>;
      if (!changes.some((c) => c.Path === '/tmp/sh')) break;
      if (tries === 100) throw new Error('/tmp/sh is still in the container 10 s after rm');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const db = new Database(state);
    try {
      db.prepare('UPDATE running_drift SET checked_at = checked_at - 7200000 WHERE container_id = ?').run(ids.suid);
    } finally {
      db.close();
    }
    const again = await check(cfg);
    expect(again.out.runningDrift.checks.map((c: { containerId: string }) => c.containerId)).toContain(ids.suid);
    expect(of(again.out.findings)).toEqual([]);
  });
});
