// `watchdog watch` when the kernel's inotify watches run out (issue #11): the logs it
// cannot watch are polled instead, it says so once, and report says how many. The limit
// is made real, not simulated: the daemon runs in a user namespace of its own whose
// max_inotify_watches is 0 (a per-namespace limit: the host's is untouched).

import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { AUDIT_OFF, BIN, runWatchdog } from '../helpers/cli.js';
import { containerdOf, engineNamed, runContainer, type TestEngine } from '../helpers/engine.js';

let engine: TestEngine;
const ids: string[] = [];

beforeAll(async () => {
  engine = engineNamed(inject('sharedEngineName'));
  for (const name of ['inotify-quiet-1', 'inotify-quiet-2']) ids.push(await runContainer(engine.docker, { name, cmd: ['sh', '-c', 'echo hello; sleep 3600'], detach: true }));
});

afterAll(async () => {
  for (const id of ids) await engine.docker.getContainer(id).remove({ force: true });
});

interface Line {
  event: string;
  message: string;
  [field: string]: unknown;
}

describe('watchdog watch without inotify watches', () => {
  it('polls the logs it cannot watch, says so once, rotates them all the same, and report counts them', async () => {
    const config = `${engine.dir}/inotify.yaml`;
    const state = `${engine.dir}/inotify.db`;
    writeFileSync(config, `${AUDIT_OFF}logs:\n  maxSize: 1MB\n  archiveDir: ${engine.dir}/inotify-archive\nwatch:\n  minRotateInterval: 2s\n`);
    const daemon = spawn('unshare', ['-U', '-r', '--fork', 'sh', '-c', 'echo 0 > /proc/sys/user/max_inotify_watches && exec "$@"', 'sh', process.execPath, BIN, 'watch', '--host', engine.host, '-c', config, '--state', state, '--log-format', 'json'], {
      // The test engine's containerd, as runWatchdog gives it (the containerd image store).
      env: { ...process.env, ...containerdOf(engine.dir) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: Line[] = [];
    let stderr = '';
    daemon.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const waiters: Array<() => void> = [];
    createInterface({ input: daemon.stdout }).on('line', (text) => {
      lines.push(JSON.parse(text) as Line);
      for (const wake of waiters.splice(0)) wake();
    });
    const until = async (what: string, test: () => boolean, ms: number) => {
      const deadline = Date.now() + ms;
      while (!test()) {
        if (Date.now() > deadline || daemon.exitCode !== null) throw new Error(`no ${what} within ${ms} ms; the daemon said:\n${lines.map((l) => JSON.stringify(l)).join('\n')}\n${stderr}`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 200);
        });
      }
    };
    let writer: string | null = null;
    try {
      await until('started', () => lines.some((l) => l.event === 'started'), 30_000);
      writer = await runContainer(engine.docker, { name: 'inotify-writer', cmd: ['sh', '-c', 'seq 1 200000; sleep 3600'], detach: true });
      await until('rotation of the polled log', () => lines.some((l) => l.event === 'rotated' && l.containerId === writer), 30_000);
      expect(lines.filter((l) => l.event === 'polling')).toHaveLength(1);
      expect(lines.find((l) => l.event === 'polling')!.message).toMatch(/inotify watches ran out \(ENOSPC\)/);

      const report = await runWatchdog(['report', '--json', '--host', engine.host, '-c', config, '--state', state]);
      const { daemon: record } = JSON.parse(report.stdout) as { daemon: { pid: number; polledLogs: number } | null };
      expect(record?.pid).toBe(lines.find((l) => l.event === 'started')!.pid);
      // The two quiet logs and the writer's, at least (other tests' containers may run).
      expect(record!.polledLogs).toBeGreaterThanOrEqual(3);
      const text = await runWatchdog(['report', '--host', engine.host, '-c', config, '--state', state]);
      expect(text.stdout).toMatch(/^Daemon: watchdog watch running since .* logs polled, as inotify watches ran out/m);
    } finally {
      // The daemon is unshare's child: its pid is the one it logged (a user namespace
      // only, so the same pid here), and unshare exits with its status.
      const pid = lines.find((l) => l.event === 'started')?.pid;
      if (daemon.exitCode === null) {
        if (typeof pid === 'number') process.kill(pid, 'SIGTERM');
        else daemon.kill('SIGKILL');
        await new Promise((resolve) => daemon.once('exit', resolve));
      }
      if (writer) await engine.docker.getContainer(writer).remove({ force: true });
    }
    expect(daemon.exitCode).toBe(143);
  });
});
