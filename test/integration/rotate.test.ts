// Lossless rotation against a real engine: a container printing numbered lines as fast
// as it can, rotated 20 times while it runs; every number must appear exactly once.

import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_OFF, reportJson, runWatchdog } from '../helpers/cli.js';
import { runContainer, startEngine, type TestEngine } from '../helpers/engine.js';

let engine: TestEngine;
let config: string;
let archiveDir: string;
let state: string;

beforeAll(async () => {
  engine = await startEngine('rotate', 1024);
  archiveDir = `${engine.dir}/archive`;
  state = `${engine.dir}/state.db`;
  config = `${engine.dir}/watchdog.yaml`;
  writeFileSync(config, `${AUDIT_OFF}logs:\n  archiveDir: ${archiveDir}\n  keep: 100\n  maxSize: 1MB\n`);
});

afterAll(async () => {
  await engine?.stop();
});

const rotate = (...args: string[]) => runWatchdog(['rotate', '--json', '--host', engine.host, '--state', state, '-c', config, ...args]);
const logPathOf = async (id: string) => (await engine.docker.getContainer(id).inspect()).LogPath as string;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** The numbers logged in a json-file log's text, in order. */
function numbersIn(text: string): number[] {
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => Number((JSON.parse(line) as { log: string }).log.trim()));
}

describe('watchdog rotate', () => {
  it('loses no line across 20 rotations of a log written as fast as possible, with short pauses', async () => {
    const writer = await runContainer(engine.docker, { name: 'counter', cmd: ['sh', '-c', 'i=0; while true; do echo $i; i=$((i+1)); done'], detach: true });
    const pauses: number[] = [];
    let pauseFailures = 0;
    while (pauses.length < 20) {
      const { code, stdout, stderr } = await rotate('counter');
      expect(stderr).toBe('');
      // With what the run said: a CI run saw exit 1 here once (of some 15 runs), and the
      // finding behind it is what to look at.
      expect(code, `rotate said: ${stdout}`).toBe(0);
      const result = JSON.parse(stdout).results[0];
      // runc's freezer can fail to stop a writer this busy on a slow machine ("unable to
      // freeze": CI on 26.1 with the containerd image store, 2026-12-01, the 3rd of 20
      // rotations). The rotation is then skipped with nothing archived or truncated, and
      // the next run tries again: so does this loop, a few times at most.
      if (result.code === 'pause-failed' && pauseFailures < 5) {
        expect(result).toMatchObject({ outcome: 'skipped', archive: null, bytesArchived: 0 });
        pauseFailures++;
        continue;
      }
      expect(result, `rotation ${pauses.length + 1}: ${JSON.stringify(result)}`).toMatchObject({ outcome: 'done' });
      pauses.push(result.pauseMs);
    }
    await engine.docker.getContainer(writer).kill();
    await engine.docker.getContainer(writer).wait();

    const folder = join(archiveDir, 'logs', readdirSync(join(archiveDir, 'logs')).find((f) => f.startsWith('counter-'))!);
    const archives = readdirSync(folder).filter((f) => f.endsWith('.json.log.gz')).sort();
    expect(archives).toHaveLength(20);
    const live = readFileSync(await logPathOf(writer));
    expect(live.includes(0)).toBe(false); // no NUL bytes: nothing truncated under the engine
    const numbers = [...archives.flatMap((f) => numbersIn(gunzipSync(readFileSync(join(folder, f))).toString())), ...numbersIn(live.toString())];
    // Every number from 0 to the last exactly once, in order: none lost, none doubled.
    expect(numbers.length).toBeGreaterThan(100_000);
    const firstWrong = numbers.findIndex((n, i) => n !== i);
    expect(firstWrong).toBe(-1);

    // docker logs still works, and reads the live file.
    const logs = (await engine.docker.getContainer(writer).logs({ stdout: true, tail: 3 })) as unknown as Buffer;
    expect(logs.toString()).toContain(String(numbers[numbers.length - 1]));

    console.log(`rotation pauses over 20 rotations: median ${Math.round(median(pauses))} ms, longest ${Math.round(Math.max(...pauses))} ms; ${numbers.length} lines`);
    expect(pauses.every((ms) => ms > 0)).toBe(true);
  });

  it('never truncates a log the engine rotates itself, however large, and says why', async () => {
    const capped = await runContainer(engine.docker, { name: 'capped', cmd: ['sh', '-c', 'yes capped-line | head -n 200000; exec sleep 600'], logOpts: { 'max-size': '1m', 'max-file': '2' }, detach: true });
    const path = await logPathOf(capped);
    // Until the engine has written and rotated all of it: 1.5 s was not always enough
    // on a slow machine (CI, 2026-12-01), and a file the engine made anew in the
    // meantime took the freed inode number of the one it replaced.
    const look = () => statSync(path, { throwIfNoEntry: false }); // gone for a moment while the engine rotates
    let last = look();
    for (let quiet = 0; quiet < 1000; ) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      const now = look();
      quiet = now && last && now.ino === last.ino && now.size === last.size && now.mtimeMs === last.mtimeMs ? quiet + 250 : 0;
      last = now;
    }
    const before = statSync(path);
    // Asked for by name, and in the automatic pass with logs.maxSize at 1 MB.
    for (const args of [['capped'], []]) {
      const { code, stdout } = await rotate(...args);
      expect(code).toBe(0);
      const out = JSON.parse(stdout);
      expect(out.plan.find((i: any) => i.name === 'capped')).toMatchObject({ action: 'keep', reason: expect.stringMatching(/^kept: the engine rotates this log itself/) });
      expect(out.results.filter((r: any) => r.name === 'capped')).toEqual([]);
    }
    const after = statSync(path);
    expect([after.ino, after.size]).toEqual([before.ino, before.size]);
    const { report } = await reportJson(engine.host, ['--state', state]);
    expect(report.containers.find((c: any) => c.id === capped).log.corrupt).toBe(false);
  });

  it('changes nothing with --dry-run, and journals the plan', async () => {
    const quiet = await runContainer(engine.docker, { name: 'quiet', cmd: ['sh', '-c', 'seq 1 50000'] });
    const path = await logPathOf(quiet);
    const before = statSync(path).size;
    const { code, stdout } = await runWatchdog(['rotate', '--dry-run', '--host', engine.host, '--state', state, '-c', config]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^quiet +[\d.]+ MB +rotate: log [\d.]+ MB is over logs\.maxSize 1 MB$/m);
    expect(stdout).toMatch(/quiet: dry run: nothing changed/);
    expect(statSync(path).size).toBe(before);
    expect(readdirSync(join(archiveDir, 'logs')).some((f) => f.startsWith('quiet-'))).toBe(false);
    const journal = JSON.parse((await runWatchdog(['journal', '--json', '--state', state])).stdout).entries;
    expect(journal).toContainEqual(expect.objectContaining({ action: 'rotate', target: 'quiet', outcome: 'dry-run' }));
  });

  it('rotates an exited container without pausing it, and refuses unknown names with exit 64', async () => {
    const { code, stdout } = await rotate('quiet');
    expect(code).toBe(0);
    expect(JSON.parse(stdout).results[0]).toMatchObject({ name: 'quiet', outcome: 'done', pauseMs: null });
    expect(statSync(await logPathOf((await engine.docker.getContainer('quiet').inspect()).Id)).size).toBe(0);

    const unknown = await rotate('no-such-container');
    expect(unknown.code).toBe(64);
    expect(unknown.stderr).toBe('watchdog: No container is named "no-such-container" (by name, id or id prefix); see docker ps -a.\n');
  });
});
