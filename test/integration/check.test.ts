// `watchdog check`, the timer's pass, against a real engine: quiet when nothing
// happens; under critical disk pressure the stricter maxAge applies, while running,
// protected and suspicious containers are still never touched.

import { statfsSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_OFF, runWatchdog } from '../helpers/cli.js';
import { runContainer, startEngine, type TestEngine } from '../helpers/engine.js';

let engine: TestEngine;
let state: string;
let config: string;

beforeAll(async () => {
  engine = await startEngine('check', 256);
  state = `${engine.dir}/state.db`;
  config = `${engine.dir}/check.yaml`;
  writeFileSync(
    config,
    AUDIT_OFF +
    [
      'containers:',
      '  exited: { maxAge: 1h, keepLast: 0, protect: ["db-*"] }',
      'escalation:',
      '  critical: { maxAge: 2s }',
      'logs:',
      `  archiveDir: ${engine.dir}/archive`,
      '',
    ].join('\n'),
  );
});

afterAll(async () => {
  await engine?.stop();
});

const check = (...args: string[]) => runWatchdog(['check', '--host', engine.host, '--state', state, '-c', config, ...args]);
const names = async () => (await engine.docker.listContainers({ all: true })).map((c) => c.Names[0]!.slice(1)).sort();

describe('watchdog check', () => {
  it('prints nothing and exits 0 when there is nothing to do', async () => {
    await runContainer(engine.docker, { name: 'job-1', cmd: ['true'], logOpts: { 'max-size': '1m' } });
    const { code, stdout, stderr } = await check();
    expect([code, stdout, stderr]).toEqual([0, '', '']);
    expect(await names()).toEqual(['job-1']);
  });

  it('prunes sooner under critical disk pressure, but never a running, protected or suspicious container', async () => {
    await runContainer(engine.docker, { name: 'db-backup', cmd: ['true'], logOpts: { 'max-size': '1m' } });
    await runContainer(engine.docker, { name: 'sneaky', cmd: ['sh', '-c', 'echo x >> /etc/passwd'], logOpts: { 'max-size': '1m' } });
    await runContainer(engine.docker, { name: 'server', cmd: ['sleep', '600'], logOpts: { 'max-size': '1m' }, detach: true });
    // Fill the data-root past 90% from a container that keeps running.
    const fs = statfsSync(`${engine.dir}/root`);
    const used = (fs.blocks - fs.bfree) * fs.bsize;
    const megabytes = Math.ceil((0.93 * (used + fs.bavail * fs.bsize) - used) / 1e6);
    await runContainer(engine.docker, { name: 'filler', cmd: ['sh', '-c', `dd if=/dev/zero of=/fill bs=1000000 count=${megabytes} 2>/dev/null; exec sleep 600`], logOpts: { 'max-size': '1m' }, detach: true });
    await sleep(4000);

    const dry = await check('--dry-run', '--json');
    expect(dry.stderr).toBe('');
    const plan = Object.fromEntries(JSON.parse(dry.stdout).prune.plan.map((i: any) => [i.name, i.reason]));
    expect(plan['job-1']).toMatch(/^prune: finished \d+ seconds ago > 2 seconds \(critical disk pressure\); no changes$/);
    expect(plan['db-backup']).toBe('kept: protected by pattern "db-*"');
    expect(plan.sneaky).toBe('held: changes to system paths: C /etc/passwd');
    expect(plan.server).toBe('kept: running');
    expect(await names()).toEqual(['db-backup', 'filler', 'job-1', 'server', 'sneaky']);

    const { code, stdout } = await check();
    expect(code).toBe(2); // the disk is still critical, and the sneaky container is suspicious
    expect(stdout).toMatch(/^prune job-1: removed$/m);
    expect(stdout).toMatch(/^hold sneaky: held; forensic bundle in /m);
    expect(stdout).toMatch(/^CRITICAL DATA_SPACE_LOW /m);
    expect(await names()).toEqual(['db-backup', 'filler', 'server', 'sneaky']);

    // The next pass has nothing new to say about the held container: it stays quiet.
    const again = await check();
    expect(again.stdout).toBe('');
    expect(again.code).toBe(2);
  });
});
