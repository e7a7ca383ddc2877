// WRITABLE_ROOTFS (issue #13) against an engine of its own, as the issue asks: a running
// container that writes only under /tmp and /run gets, once `check` has recorded its
// drift, the read-only suggestion with exactly those tmpfs folders; the suggested flags,
// applied to a new container doing the same work, let it run (and keep it from writing
// anywhere else). A container that runs read-only already gets the reminder that its
// tmpfs writes are out of `docker diff`'s sight. Every container --network none.

import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditOutputSchema } from '../../src/core/report-schema.js';
import { runWatchdog } from '../helpers/cli.js';
import { startEngine, TEST_IMAGE, type TestEngine } from '../helpers/engine.js';

let engine: TestEngine;
let state: string;
let config: string;

/** What the app does: scratch files under /tmp and /run, then it waits. */
const WORK = 'mkdir -p /run/app && echo 1 > /run/app/pid && echo x > /tmp/scratch';

async function running(name: string, cmd: string, hostConfig: Record<string, unknown> = {}): Promise<string> {
  const container = await engine.docker.createContainer({ Image: TEST_IMAGE, name, Cmd: ['sh', '-c', cmd], HostConfig: { NetworkMode: 'none', ...hostConfig } });
  await container.start();
  return container.id;
}

/** Until the container's work is done (its changes show), at most 10 s. */
async function untilChanged(id: string, path: string): Promise<void> {
  for (let tries = 0; tries < 100; tries++) {
    const changes = ((await engine.docker.getContainer(id).changes()) ?? []) as Array<{ Path: string }>;
    if (changes.some((c) => c.Path === path)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`container ${id.slice(0, 12)} did not write ${path} in 10 s`);
}

const auditJson = async (...names: string[]) => {
  const result = await runWatchdog(['audit', '--json', '--host', engine.host, '--state', state, '-c', config, ...names]);
  if (!result.stdout.trim()) throw new Error(`no output (exit ${result.code}): ${result.stderr}`);
  return auditOutputSchema.parse(JSON.parse(result.stdout));
};

beforeAll(async () => {
  engine = await startEngine('readonly', 256);
  state = `${engine.dir}/state.db`;
  config = `${engine.dir}/readonly.yaml`;
  // The audit on, with group and user databases of the test's own (never /etc/group).
  writeFileSync(`${engine.dir}/group`, 'root:x:0:\n');
  writeFileSync(`${engine.dir}/passwd`, 'root:x:0:0:root:/root:/bin/sh\n');
  writeFileSync(config, `audit:\n  groupFile: ${engine.dir}/group\n  passwdFile: ${engine.dir}/passwd\nlogs:\n  archiveDir: ${engine.dir}/archive\n`);
});

afterAll(async () => {
  await engine?.stop();
});

describe('WRITABLE_ROOTFS', () => {
  it('suggests exactly --read-only --tmpfs /run --tmpfs /tmp for a container that writes only there, and those flags let the same work run read-only', async () => {
    const id = await running('scratch-only', `${WORK} && exec sleep 600`);
    await untilChanged(id, '/tmp/scratch');
    // Before any drift check is recorded there is no history, so no suggestion.
    expect((await auditJson('scratch-only')).findings.filter((f) => f.code === 'WRITABLE_ROOTFS')).toEqual([]);

    const check = await runWatchdog(['check', '--json', '--host', engine.host, '--state', state, '-c', config]);
    expect(check.code, check.stderr).toBeLessThan(3);
    const out = await auditJson('scratch-only');
    const found = out.findings.filter((f) => f.code === 'WRITABLE_ROOTFS');
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ severity: 'info', containerId: id, subject: 'scratch-only' });
    expect(found[0]!.message).toContain('wrote only under /run and /tmp in its own filesystem over 1 drift check since');
    const profile = out.profiles?.find((p) => p.containerId === id);
    expect(profile?.flags).toEqual(['--read-only', '--tmpfs', '/run', '--tmpfs', '/tmp']);

    // The flags applied to a new container: the work succeeds, and a write anywhere else
    // is refused (the root filesystem really is read-only).
    const tmpfs = Object.fromEntries(profile!.flags.flatMap((flag, i) => (profile!.flags[i - 1] === '--tmpfs' ? [[flag, '']] : [])));
    const proof = await engine.docker.createContainer({
      Image: TEST_IMAGE,
      name: 'scratch-only-readonly',
      Cmd: ['sh', '-c', `${WORK} && cat /run/app/pid /tmp/scratch && if touch /elsewhere 2>/dev/null; then echo writable; exit 9; fi`],
      HostConfig: { NetworkMode: 'none', ReadonlyRootfs: profile!.flags.includes('--read-only'), Tmpfs: tmpfs },
    });
    await proof.start();
    expect((await proof.wait()).StatusCode).toBe(0);
    expect((await proof.inspect()).HostConfig.ReadonlyRootfs).toBe(true);
  });

  it('gives no suggestion to a container that writes a system path, and reminds a read-only one that its tmpfs writes do not show', async () => {
    const etc = await running('writes-etc', 'echo x > /etc/motd && exec sleep 600');
    await untilChanged(etc, '/etc/motd');
    const ro = await running('already-readonly', `${WORK} && exec sleep 600`, { ReadonlyRootfs: true, Tmpfs: { '/run': '', '/tmp': '' } });
    const check = await runWatchdog(['check', '--json', '--host', engine.host, '--state', state, '-c', config]);
    expect(check.code, check.stderr).toBeLessThan(3);
    const out = await auditJson('writes-etc', 'already-readonly');
    expect(out.findings.filter((f) => f.code === 'WRITABLE_ROOTFS' && f.containerId === etc)).toEqual([]);
    const reminder = out.findings.filter((f) => f.code === 'WRITABLE_ROOTFS' && f.containerId === ro);
    expect(reminder).toHaveLength(1);
    expect(reminder[0]!.message).toBe('already-readonly: runs read-only, so drift checks see nothing: what it writes to its tmpfs mounts (/run, /tmp) and its volumes never shows in docker diff; watch those paths another way (a file-integrity check inside it) if they matter');
  });
});
