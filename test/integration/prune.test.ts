// Drift-gated pruning against a real engine: clean exited containers past maxAge go;
// running, labelled, too-young and suspicious ones stay, each with its reason; the
// classic intrusion (a replaced /usr/bin/passwd) is held with a forensic bundle.

import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_OFF, runWatchdog } from '../helpers/cli.js';
import { runContainer, startEngine, type TestEngine } from '../helpers/engine.js';

let engine: TestEngine;
let state: string;
let archiveDir: string;
const ids: Record<string, string> = {};

const config = (extra = '') => {
  const path = `${engine.dir}/prune-${Math.random().toString(36).slice(2)}.yaml`;
  writeFileSync(path, `${AUDIT_OFF}containers:\n  exited:\n    maxAge: 3s\n    keepLast: 0\nlogs:\n  archiveDir: ${archiveDir}\n${extra}`);
  return path;
};
const prune = (cfg: string, ...args: string[]) => runWatchdog(['prune', '--json', '--host', engine.host, '--state', state, '-c', cfg, ...args]);
const names = async () => (await engine.docker.listContainers({ all: true })).map((c) => `${c.Names[0]!.slice(1)}:${c.State}`).sort();

beforeAll(async () => {
  engine = await startEngine('prune', 512);
  state = `${engine.dir}/state.db`;
  archiveDir = `${engine.dir}/archive`;
  ids.clean = await runContainer(engine.docker, { name: 'clean', cmd: ['sh', '-c', 'echo x > /tmp/scratch; echo 1 > /run/app.pid'] });
  // An attacker swaps in their own passwd.
  ids.intruder = await runContainer(engine.docker, { name: 'intruder', cmd: ['sh', '-c', 'printf "#!/bin/sh\\necho stolen\\n" > /tmp/passwd && cp /tmp/passwd /usr/bin/passwd'] });
  ids.labelled = await runContainer(engine.docker, { name: 'labelled', cmd: ['true'], labels: { 'watchdog.keep': 'yes' } });
  ids.running = await runContainer(engine.docker, { name: 'running', cmd: ['sleep', '600'], detach: true });
  const ro = await engine.docker.createContainer({ Image: 'wdt-busybox:latest', name: 'readonly', Cmd: ['true'], HostConfig: { NetworkMode: 'none', ReadonlyRootfs: true } });
  await ro.start();
  await ro.wait();
  ids.readonly = ro.id;
  await sleep(3500);
  ids.young = await runContainer(engine.docker, { name: 'young', cmd: ['true'] });
});

afterAll(async () => {
  await engine?.stop();
});

describe('watchdog prune', () => {
  it('changes nothing with --dry-run, and gives a reason for every container', async () => {
    const before = await names();
    const logSizes = await Promise.all(Object.values(ids).map(async (id) => statSync((await engine.docker.getContainer(id).inspect()).LogPath).size));
    const { code, stdout } = await prune(config(), '--dry-run');
    const out = JSON.parse(stdout);
    const reasons = Object.fromEntries(out.plan.map((i: any) => [i.name, i.reason]));
    expect(reasons).toEqual({
      running: 'kept: running',
      labelled: 'kept: label watchdog.keep',
      young: expect.stringMatching(/^kept: finished \d+ ms ago < 3 seconds$/),
      intruder: 'held: changes to system paths: C /usr/bin/passwd',
      clean: expect.stringMatching(/^prune: finished \d+ seconds ago > 3 seconds; changes only in allowed paths$/),
      readonly: expect.stringMatching(/^prune: finished \d+ seconds ago > 3 seconds; drift not applicable: read-only root filesystem/),
    });
    expect(out.results).toEqual([]);
    expect(code).toBe(2); // a critical DRIFT_SUSPICIOUS finding
    expect(out.findings).toEqual([expect.objectContaining({ code: 'DRIFT_SUSPICIOUS', severity: 'critical', containerId: ids.intruder })]);
    expect(await names()).toEqual(before);
    expect(await Promise.all(Object.values(ids).map(async (id) => statSync((await engine.docker.getContainer(id).inspect()).LogPath).size))).toEqual(logSizes);
    expect(existsSync(join(archiveDir, 'forensics'))).toBe(false);
  });

  it('classifies drift by hand with watchdog drift, and writes no bundle with --dry-run', async () => {
    const { code, stdout } = await runWatchdog(['drift', 'intruder', 'clean', 'readonly', '--dry-run', '--json', '--host', engine.host, '--state', state, '-c', config()]);
    expect(code).toBe(2);
    const drift = Object.fromEntries(JSON.parse(stdout).containers.map((c: any) => [c.name, c.drift]));
    expect(drift.intruder).toMatchObject({ status: 'suspicious', critical: [{ path: '/usr/bin/passwd', kind: 'modified' }] });
    expect(drift.clean).toMatchObject({ status: 'clean', outside: [] });
    expect(drift.readonly).toMatchObject({ status: 'not-applicable' });
    expect(existsSync(join(archiveDir, 'forensics'))).toBe(false);
  });

  it('prunes the clean one, holds the intruder with a forensic bundle holding the replaced file, keeps the rest', async () => {
    const { stdout } = await prune(config());
    const out = JSON.parse(stdout);
    const results = Object.fromEntries(out.results.map((r: any) => [r.name, r]));
    expect(results.clean).toMatchObject({ outcome: 'done', bytesFreed: expect.any(Number) });
    expect(results.intruder).toMatchObject({ outcome: 'held', bundle: expect.stringContaining(`${archiveDir}/forensics/intruder-`) });
    expect(await names()).toEqual(['intruder:exited', 'labelled:exited', 'running:running', 'young:exited']);

    const bundle = results.intruder.bundle as string;
    expect(readdirSync(bundle).sort()).toEqual(['changed-files.tar', 'changes.json', 'inspect.json', 'log']);
    expect(JSON.parse(readFileSync(join(bundle, 'inspect.json'), 'utf8')).Id).toBe(ids.intruder);
    expect(JSON.parse(readFileSync(join(bundle, 'changes.json'), 'utf8'))).toContainEqual({ path: '/usr/bin/passwd', kind: 'modified' });
    const passwd = execFileSync('tar', ['-xOf', join(bundle, 'changed-files.tar'), 'usr/bin/passwd']).toString();
    expect(passwd).toBe('#!/bin/sh\necho stolen\n');

    // The journal says what happened to each, and why.
    const journal = JSON.parse((await runWatchdog(['journal', '--json', '--state', state])).stdout).entries.filter((e: any) => e.outcome !== 'dry-run');
    const byTarget = Object.fromEntries(journal.map((e: any) => [e.target, e]));
    expect(byTarget.clean).toMatchObject({ action: 'prune', outcome: 'done', reason: expect.stringMatching(/^prune: finished/) });
    expect(byTarget.intruder).toMatchObject({ action: 'hold', reason: 'held: changes to system paths: C /usr/bin/passwd' });
    expect(byTarget.labelled).toMatchObject({ action: 'keep', reason: 'kept: label watchdog.keep' });
    expect(byTarget.running).toMatchObject({ action: 'keep', reason: 'kept: running' });
    expect(byTarget.young).toMatchObject({ action: 'keep', reason: expect.stringMatching(/^kept: finished/) });
  });

  it('prunes a suspicious container only after its bundle is on disk with drift.onSuspicious: export-and-prune', async () => {
    // Its bundle from the hold above is removed: this run must write its own.
    rmSync(join(archiveDir, 'forensics'), { recursive: true, force: true });
    const { stdout } = await prune(config('drift:\n  onSuspicious: export-and-prune\n'));
    const intruder = JSON.parse(stdout).results.find((r: any) => r.name === 'intruder');
    expect(intruder).toMatchObject({ outcome: 'done', newBundle: true, message: expect.stringMatching(/^removed after forensic export to /) });
    expect(existsSync(join(intruder.bundle, 'changed-files.tar'))).toBe(true);
    expect((await names()).some((n) => n.startsWith('intruder:'))).toBe(false);
  });

  it('exits 78 and lists every problem of a broken configuration', async () => {
    const broken = `${engine.dir}/broken.yaml`;
    writeFileSync(broken, 'containers:\n  exited:\n    maxAge: soon\n    keepLast: -1\ndrift:\n  onSuspicious: shrug\n');
    const { code, stdout, stderr } = await runWatchdog(['prune', '--host', engine.host, '--state', state, '-c', broken]);
    expect(code).toBe(78);
    expect(stdout).toBe('');
    expect(stderr.split('\n').filter(Boolean)).toEqual([
      `watchdog: The configuration ${broken} has 3 problems:`,
      '  containers.exited.maxAge: "soon" is not a duration; write e.g. 30m, 1h or 7d',
      '  containers.exited.keepLast: Too small: expected number to be >=0',
      '  drift.onSuspicious: Invalid option: expected one of "hold"|"export-and-prune"',
    ]);
  });
});
