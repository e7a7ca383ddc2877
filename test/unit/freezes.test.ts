// The freeze ledger (act/freezes.ts, issue #9): which freezes a run may thaw. Two
// engines may share an ID (before 23 it comes from /etc/docker/key.json, and 23 keeps
// it on upgrade), so a run takes for orphans only the entries of its own engine, or of
// none named (written by a version before entries named their engine), and those of
// gone processes only.

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freezeLedger } from '../../src/act/freezes.js';

let parent: string;
let folder: string;
beforeEach(() => {
  parent = mkdtempSync(`${tmpdir()}/wdt-freezes-`);
  folder = `${parent}/frozen`;
  mkdirSync(folder);
});
afterEach(() => rmSync(parent, { recursive: true, force: true }));

/** An intent left by a process that is gone, as a killed run leaves it (a start time
 *  no process has: should its pid be taken again, the holder still reads as gone). */
function leftBehind(containerId: string, dockerRootDir: string | undefined): void {
  const pid = spawnSync('true').pid!;
  writeFileSync(`${folder}/${containerId}.${pid}.json`, `${JSON.stringify({ containerId, name: containerId.slice(0, 4), pid, pidStartedAt: 'gone', since: '2026-12-01T04:00:00.000Z', dockerRootDir })}\n`);
}
const ids = (ledger: ReturnType<typeof freezeLedger>) => ledger.orphans().map((f) => f.containerId).sort();

describe('the freeze ledger', () => {
  it("gives each engine its own orphans and those of entries that name none; another engine's stay", () => {
    const [a, b, older] = ['a', 'b', 'c'].map((c) => c.repeat(64)) as [string, string, string];
    leftBehind(a, '/var/lib/docker');
    leftBehind(b, '/srv/docker-b');
    leftBehind(older, undefined);
    expect(ids(freezeLedger(folder, '/var/lib/docker'))).toEqual([a, older]);
    expect(ids(freezeLedger(folder, '/srv/docker-b'))).toEqual([b, older]);
    // One folder, named as dockerd was given it on a first start and as it names it later.
    expect(ids(freezeLedger(folder, '/srv/docker-b/'))).toEqual([b, older]);
  });

  it("writes the engine into an intent, and a live process's intent is no orphan", () => {
    const ledger = freezeLedger(folder, '/var/lib/docker');
    const id = 'd'.repeat(64);
    ledger.intend(id, 'web', new Date('2026-12-01T04:00:00Z'));
    expect(JSON.parse(readFileSync(`${folder}/${id}.${process.pid}.json`, 'utf8'))).toMatchObject({ containerId: id, name: 'web', pid: process.pid, since: '2026-12-01T04:00:00.000Z', dockerRootDir: '/var/lib/docker' });
    expect(ledger.orphans()).toEqual([]);
    ledger.forget(id);
    leftBehind(id, '/var/lib/docker');
    expect(ids(ledger)).toEqual([id]);
  });
});
