// Signals are handled in one place (src/main.ts): a watchdog stopped by systemd or a
// Ctrl-C while a container is frozen for the last copy of its log thaws it before it
// ends. Caught at that moment with a proxy that lets the engine pause the container but
// holds the answer back.

import { spawn } from 'node:child_process';
import { statSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { AUDIT_OFF, BIN } from '../helpers/cli.js';
import { engineNamed, runContainer, type TestEngine } from '../helpers/engine.js';
import { holdingProxy, type HoldingProxy } from '../helpers/proxy.js';

let engine: TestEngine;
let proxy: HoldingProxy;
let writer: string;
let config: string;

beforeAll(async () => {
  engine = engineNamed(inject('sharedEngineName'));
  writer = await runContainer(engine.docker, { name: 'signals-writer', cmd: ['sh', '-c', 'while true; do echo tick; usleep 20000; done'], detach: true });
  config = `${engine.dir}/signals.yaml`;
  writeFileSync(config, `${AUDIT_OFF}logs:\n  archiveDir: ${engine.dir}/signals-archive\n`);
  proxy = await holdingProxy(`${engine.dir}/docker.sock`, `${engine.dir}/signals.sock`, /^POST \S*\/containers\/[0-9a-f]+\/pause /, 3000);
});

afterAll(async () => {
  await proxy?.close();
  await engine.docker.getContainer(writer).remove({ force: true });
});

describe('a watchdog stopped mid-rotation', () => {
  it.each([
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const)('unpauses the container on %s before it exits (%d)', async (signal, code) => {
    const logPath = (await engine.docker.getContainer(writer).inspect()).LogPath;
    await sleep(500);
    const held = proxy.nextHeld();
    const child = spawn(process.execPath, [BIN, 'rotate', 'signals-writer', '--host', proxy.host, '--state', `${engine.dir}/signals-${signal}.db`, '-c', config], { stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (status) => resolve(status)));
    await held;
    // The engine has frozen it; the watchdog still waits for the answer.
    for (let i = 0; i < 50 && !(await engine.docker.getContainer(writer).inspect()).State.Paused; i++) await sleep(20);
    expect((await engine.docker.getContainer(writer).inspect()).State.Paused).toBe(true);
    const sizeBefore = statSync(logPath).size;

    child.kill(signal);
    expect(await exited).toBe(code);
    expect((await engine.docker.getContainer(writer).inspect()).State.Paused).toBe(false);
    // Nothing was truncated: the rotation never finished.
    expect(statSync(logPath).size).toBeGreaterThanOrEqual(sizeBefore);
  });
});
