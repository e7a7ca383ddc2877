// Runaway growth seen by `watchdog watch` (issue #11): a container that logs megabytes
// a second into a data space that lasts less than watch.horizon at that rate is named,
// with its rate and the time left, at once, and mailed through the alerting of issue #5
// (a real SMTP server on 127.0.0.1), once.

import { writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startDaemon, stopAllDaemons } from '../helpers/daemon.js';
import { engineNamed, runContainer, type TestEngine } from '../helpers/engine.js';
import { startSmtp, type TestSmtp } from '../helpers/smtp.js';
import { AUDIT_OFF } from '../helpers/cli.js';

let engine: TestEngine;
let smtp: TestSmtp;
let writer: string | null = null;

beforeAll(async () => {
  engine = engineNamed(inject('sharedEngineName'));
  smtp = await startSmtp();
});

afterAll(async () => {
  await stopAllDaemons();
  if (writer) await engine.docker.getContainer(writer).remove({ force: true });
  await smtp?.close();
});

describe('watchdog watch and a runaway log', () => {
  it('names the container, its rate and the time left, and mails it once', async () => {
    const config = `${engine.dir}/runaway.yaml`;
    // maxSize far above what the test writes: the log is not rotated, it only grows. The
    // shared engine's data space is under 1 GB: at about 2 MB/s it lasts minutes, well
    // within the 1 h horizon.
    writeFileSync(
      config,
      `${AUDIT_OFF}logs:\n  maxSize: 5GB\n  archiveDir: ${engine.dir}/runaway-archive\nwatch:\n  spaceInterval: 2s\nalerts:\n  email:\n    host: 127.0.0.1\n    port: ${smtp.port}\n    from: watchdog@test.invalid\n    to: [ops@test.invalid]\n`,
    );
    const daemon = startDaemon(['watch', '--host', engine.host, '-c', config, '--state', `${engine.dir}/runaway.db`, '--log-format', 'json']);
    await daemon.waitFor('`started` line', (l) => l.event === 'started', 20_000);
    const mailsBefore = smtp.received.length;
    writer = await runContainer(engine.docker, { name: 'runaway-writer', cmd: ['sh', '-c', 'while true; do seq 1 4000; usleep 100000; done'], detach: true });

    // Three samples over 15 s at least, of the last minute (core/runaway.ts).
    const runaway = await daemon.waitFor('`runaway` line of runaway-writer', (l) => l.event === 'runaway' && l.containerId === writer, 60_000);
    expect(runaway).toMatchObject({ code: 'RUNAWAY_LOG', container: 'runaway-writer' });
    expect(runaway.bytesPerSecond).toBeGreaterThan(100_000);
    expect(runaway.secondsLeft).toBeLessThan(3600);
    expect(runaway.message).toMatch(/^runaway-writer writes [\d.]+ [kM]B\/s; data space is full in about \d+ (seconds|minutes?|hours?)$/);

    const mailed = () => smtp.received.slice(mailsBefore).filter((m) => m.body.includes('runaway-writer writes'));
    for (let i = 0; i < 100 && mailed().length === 0; i++) await sleep(100);
    expect(mailed(), daemon.transcript()).toHaveLength(1);
    expect(mailed()[0]!.subject).toMatch(/ CRITICAL /);
    // It keeps running away: the cooldown (6 h) holds, no second mail.
    await sleep(6000);
    expect(mailed()).toHaveLength(1);
    expect(daemon.running()).toBe(true);
  });
});
