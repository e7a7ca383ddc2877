// SETUID_DRIFT (issue #13) against the shared test engine, as the issue's "What it must
// show" asks: a container that writes a setuid file inside itself (`chmod 4755` on a copy
// of busybox in its own filesystem) gives SETUID_DRIFT in `watchdog audit` and
// `watchdog drift`, with the path and the mode; so does a setgid one under /tmp (an
// allowed path does not hide it); a container that writes plain files gives none. Every
// container runs --network none from the test image and exits at once; the host's own
// /etc/group is never read.

import { mkdirSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { auditOutputSchema, findingSchema } from '../../src/core/report-schema.js';
import { runWatchdog } from '../helpers/cli.js';
import { engineNamed, runContainer, type TestEngine } from '../helpers/engine.js';
import { countingProxy, type CountingProxy } from '../helpers/proxy.js';

let engine: TestEngine;
let dir: string;
let proxy: CountingProxy;
const ids: Record<string, string> = {};

type Finding = { code: string; severity: string; containerId?: string; subject?: string; message: string; setuidFiles?: number; modesUnchecked?: number };

// The test image has no /usr/local/bin: the copy needs it made first (a change of its
// own in the diff, a directory, never asked about).
const CONTAINERS: Record<string, string> = {
  'setuid-sb': 'mkdir -p /usr/local/bin && cp /bin/busybox /usr/local/bin/sb && chmod 4755 /usr/local/bin/sb',
  'setuid-sg-tmp': 'cp /bin/busybox /tmp/sg && chmod 2755 /tmp/sg',
  'setuid-plain': 'echo a > /tmp/plain1 && echo b > /tmp/plain2 && echo c > /srv-plain && chmod 755 /tmp/plain2',
  // Clean drift: a prune would remove it.
  'setuid-clean': 'echo a > /tmp/scratch',
};

let configs = 0;
/** A configuration with the test's own group files; `audit` lines go into its audit
 *  section, `top` before it. */
function config(audit = '', top = ''): string {
  const path = `${dir}/config-${configs++}.yaml`;
  writeFileSync(path, `${top}audit:\n  groupFile: ${dir}/group\n  passwdFile: ${dir}/passwd\n${audit}logs:\n  archiveDir: ${dir}/archive\n`);
  return path;
}

const watchdog = async (args: string[], state: string, cfg = config()) => {
  const result = await runWatchdog([...args, '--json', '--host', proxy.host, '--state', `${dir}/${state}.db`, '-c', cfg]);
  if (!result.stdout.trim()) throw new Error(`no output (exit ${result.code}): ${result.stderr}`);
  return { code: result.code, out: JSON.parse(result.stdout), stderr: result.stderr };
};

const setuidOf = (findings: Finding[], name: string) => findings.filter((f) => f.containerId === ids[name] && f.code === 'SETUID_DRIFT');
const stats = () => proxy.requests().filter((r) => r.startsWith('HEAD ') && r.includes('/archive'));
/** The paths the stats asked about, sorted. */
const statPaths = () => stats().map((r) => new URL(r.split(' ')[1]!, 'http://engine').searchParams.get('path')).sort();

beforeAll(async () => {
  engine = engineNamed(inject('sharedEngineName'));
  dir = `${engine.dir}/setuid`;
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}/group`, 'root:x:0:\n');
  writeFileSync(`${dir}/passwd`, 'root:x:0:0:root:/root:/bin/sh\n');
  proxy = await countingProxy(`${engine.dir}/docker.sock`, `${dir}/proxy.sock`);
  for (const [name, script] of Object.entries(CONTAINERS)) ids[name] = await runContainer(engine.docker, { name, cmd: ['sh', '-c', script] });
  // The scripts did what they say (a failed one would make the test prove nothing).
  for (const name of Object.keys(CONTAINERS)) expect((await engine.docker.getContainer(ids[name]!).inspect()).State.ExitCode, name).toBe(0);
});

afterAll(async () => {
  await proxy?.close();
  for (const id of Object.values(ids)) await engine?.docker.getContainer(id).remove({ force: true });
});

describe('SETUID_DRIFT', () => {
  it('is in watchdog audit, with each file and its mode, for the named containers and for all, once per change token', async () => {
    proxy.reset();
    const { code, out } = await watchdog(['audit', ...Object.keys(CONTAINERS)], 'audit');
    auditOutputSchema.parse(out);
    expect(code).toBe(2);
    const findings: Finding[] = out.findings;
    expect(setuidOf(findings, 'setuid-sb')).toEqual([
      {
        code: 'SETUID_DRIFT',
        severity: 'critical',
        containerId: ids['setuid-sb'],
        subject: 'setuid-sb',
        setuidFiles: 1,
        message: expect.stringMatching(/^setuid-sb: setuid file written in its own filesystem: \/usr\/local\/bin\/sb 4755 \(setuid\); keep its forensic bundle \(watchdog drift setuid-sb\), re-create the container from its image, and find who wrote it/),
      },
    ]);
    expect(setuidOf(findings, 'setuid-sg-tmp')).toEqual([expect.objectContaining({ severity: 'critical', message: expect.stringContaining(': /tmp/sg 2755 (setgid);') })]);
    // Nothing at all for the plain one: the audit adds only SETUID_DRIFT of drift.
    expect(findings.filter((f) => f.containerId === ids['setuid-plain'] || f.containerId === ids['setuid-clean'])).toEqual([]);
    // One stat per file, none for the directories /usr/local and /usr/local/bin.
    expect(statPaths()).toEqual(['/srv-plain', '/tmp/plain1', '/tmp/plain2', '/tmp/scratch', '/tmp/sg', '/usr/local/bin/sb']);

    // Again: the exited containers' modes come from the state store.
    proxy.reset();
    const again = await watchdog(['audit', ...Object.keys(CONTAINERS)], 'audit');
    expect(again.out.findings).toEqual(findings);
    expect(stats()).toEqual([]);

    // All containers (and the host): the same findings for these.
    const all = await watchdog(['audit'], 'audit');
    auditOutputSchema.parse(all.out);
    expect(all.out.host).toBe(true);
    expect(setuidOf(all.out.findings, 'setuid-sb').map((f) => f.message)).toEqual(setuidOf(findings, 'setuid-sb').map((f) => f.message));
    expect(setuidOf(all.out.findings, 'setuid-sg-tmp')).toHaveLength(1);
    expect(setuidOf(all.out.findings, 'setuid-plain')).toEqual([]);
  });

  it('is in watchdog drift, which calls a setgid file under /tmp suspicious and shows the modes in its JSON', async () => {
    const { code, out } = await watchdog(['drift', '--dry-run', ...Object.keys(CONTAINERS)], 'drift');
    expect(code).toBe(2);
    for (const f of out.findings) findingSchema.parse(f);
    const row = (name: string) => out.containers.find((r: { containerId: string }) => r.containerId === ids[name]);
    expect(row('setuid-sg-tmp').drift).toMatchObject({
      status: 'suspicious',
      outside: [],
      reason: 'setuid or setgid files (allowed paths do not excuse them): /tmp/sg 2755 (setgid)',
      modes: { setuid: [{ path: '/tmp/sg', bits: ['setgid'] }], checked: 1, unchecked: 0, limit: 1000 },
    });
    expect(row('setuid-sb').drift).toMatchObject({ status: 'suspicious', modes: { setuid: [{ path: '/usr/local/bin/sb', bits: ['setuid'] }] } });
    expect(row('setuid-plain').drift).toMatchObject({ status: 'suspicious', reason: 'changes outside allowed paths: A /srv-plain', modes: { setuid: [], checked: 3 } });
    const codes = (name: string) => out.findings.filter((f: Finding) => f.containerId === ids[name]).map((f: Finding) => `${f.severity}:${f.code}`);
    expect(codes('setuid-sb')).toEqual(['critical:SETUID_DRIFT', 'critical:DRIFT_SUSPICIOUS']);
    expect(codes('setuid-sg-tmp')).toEqual(['critical:SETUID_DRIFT', 'warning:DRIFT_SUSPICIOUS']);
    expect(codes('setuid-plain')).toEqual(['warning:DRIFT_SUSPICIOUS']);
  });

  it('makes a prune hold the container with a setgid file under /tmp, and plan to remove the clean one', async () => {
    // Old enough for containers.exited.maxAge 1s.
    const finished = await Promise.all(Object.values(ids).map(async (id) => Date.parse((await engine.docker.getContainer(id).inspect()).State.FinishedAt)));
    await new Promise((r) => setTimeout(r, Math.max(0, Math.max(...finished) + 1100 - Date.now())));
    // A dry run: the shared engine's other containers are planned too, never touched.
    const { out } = await watchdog(['prune', '--dry-run'], 'prune', config('', 'containers:\n  exited:\n    maxAge: 1s\n    keepLast: 0\n'));
    const plan = (name: string) => out.plan.find((i: { containerId: string }) => i.containerId === ids[name]);
    expect(plan('setuid-sg-tmp')).toMatchObject({ action: 'hold', code: 'drift-suspicious', reason: 'held: setuid or setgid files (allowed paths do not excuse them): /tmp/sg 2755 (setgid)' });
    expect(plan('setuid-sb')).toMatchObject({ action: 'hold', reason: expect.stringContaining('setuid or setgid files: /usr/local/bin/sb 4755 (setuid)') });
    expect(plan('setuid-clean')).toMatchObject({ action: 'prune', reason: expect.stringMatching(/; changes only in allowed paths$/) });
    expect(out.findings.filter((f: Finding) => f.containerId === ids['setuid-sg-tmp']).map((f: Finding) => `${f.severity}:${f.code}`)).toEqual(['critical:SETUID_DRIFT', 'warning:DRIFT_SUSPICIOUS']);
    expect(out.results).toEqual([]);
  });

  it('says how many paths it did not check past drift.maxModeChecks, and audit.severity sets its severity', async () => {
    proxy.reset();
    const capped = await watchdog(['audit', 'setuid-plain'], 'capped', config('  severity: { SETUID_DRIFT: warning }\n', 'drift:\n  maxModeChecks: 1\n'));
    expect(stats()).toHaveLength(1);
    // Info whatever audit.severity says: it is no evidence, only what was not checked.
    expect(setuidOf(capped.out.findings, 'setuid-plain')).toEqual([
      expect.objectContaining({ severity: 'info', setuidFiles: 0, modesUnchecked: 2, message: expect.stringContaining('but 2 more were not checked (drift.maxModeChecks 1)') }),
    ]);
    const warned = await watchdog(['audit', 'setuid-sb'], 'capped', config('  severity: { SETUID_DRIFT: warning }\n'));
    expect(warned.code).toBe(1);
    expect(setuidOf(warned.out.findings, 'setuid-sb').map((f) => f.severity)).toEqual(['warning']);
  });
});
