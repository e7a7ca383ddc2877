// Alerts under faults (issue #9): a slow SMTP server that answers the end of DATA late
// (defect 6), and a state store that cannot be locked or written (defect 3, alerting
// half). Real engine, real SMTP servers on 127.0.0.1, real read-only and full mounts.

import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_OFF, runWatchdog } from '../helpers/cli.js';
import { startEngine, type TestEngine } from '../helpers/engine.js';
import { startSmtp, type TestSmtp } from '../helpers/smtp.js';

let engine: TestEngine;

beforeAll(async () => {
  engine = await startEngine('alert-faults', 256);
});

afterAll(async () => {
  await engine?.stop(); // unmounts what the tests mounted under its folder too
});

/** A configuration whose data-space warning threshold (1%) any engine is over: every
 *  check has the DATA_SPACE_LOW warning to alert on. */
function configFor(name: string, port: number): string {
  const path = `${engine.dir}/${name}.yaml`;
  writeFileSync(
    path,
    AUDIT_OFF +
    [
      'thresholds:',
      '  data: { warning: "1%", critical: "99%" }',
      'alerts:',
      '  email:',
      '    host: "127.0.0.1"',
      `    port: ${port}`,
      '    from: "watchdog@test.invalid"',
      '    to: ["ops@test.invalid"]',
      'logs:',
      `  archiveDir: ${engine.dir}/archive`,
      '',
    ].join('\n'),
  );
  return path;
}

const messageIdOf = (raw: string): string | undefined => /^Message-ID:\s*(<[^>]+>)/im.exec(raw)?.[1];

/** Lets the retry backoff pass, as a later run would find it. */
function retryNow(state: string): void {
  const db = new Database(state);
  db.prepare('UPDATE outbox SET next_attempt_at = 0 WHERE sent_at IS NULL').run();
  db.close();
}

describe('a slow SMTP server (defect 6)', () => {
  // It keeps each message at once but answers the final "." 40 s later: longer than the
  // 30 s the watchdog used to wait.
  let slow: TestSmtp;
  beforeAll(async () => {
    slow = await startSmtp({ ackDelayMs: 40_000 });
  });
  afterAll(async () => {
    await slow?.close();
  });

  it('waits for the late answer to the end of DATA: two runs deliver exactly one message', async () => {
    const state = `${engine.dir}/slow-wait.db`;
    const config = configFor('slow-wait', slow.port);
    const before = slow.received.length;
    const started = Date.now();
    const first = await runWatchdog(['check', '--host', engine.host, '--state', state, '-c', config]);
    const blocked = (Date.now() - started) / 1000;
    retryNow(state); // what made the old code send it again
    const second = await runWatchdog(['check', '--host', engine.host, '--state', state, '-c', config]);
    const got = slow.received.slice(before);
    expect(got.map((m) => m.subject)).toEqual([expect.stringMatching(/^\[docker-watchdog\] WARNING \S+: data space /)]);
    expect([first.code, first.stderr, second.code, second.stderr]).toEqual([1, '', 1, '']);
    const db = new Database(state, { readonly: true });
    const rows = db.prepare('SELECT message_id AS messageId, sent_at AS sentAt, unconfirmed_at AS unconfirmedAt FROM outbox').all() as { messageId: string; sentAt: number | null; unconfirmedAt: number | null }[];
    db.close();
    expect(rows).toEqual([{ messageId: messageIdOf(got[0]!.raw), sentAt: expect.any(Number), unconfirmedAt: null }]);
    console.log(`slow server, 40 s answer: the first pass took ${blocked.toFixed(1)} s`);
  });

  it('does not send again a message whose answer never came: two runs deliver exactly one message, and the run says so', async () => {
    const state = `${engine.dir}/slow-unconfirmed.db`;
    const config = configFor('slow-unconfirmed', slow.port);
    const env = { WATCHDOG_SMTP_DATA_TIMEOUT_MS: '3000' };
    const before = slow.received.length;
    const started = Date.now();
    const first = await runWatchdog(['check', '--host', engine.host, '--state', state, '-c', config], env);
    const blocked = (Date.now() - started) / 1000;
    retryNow(state); // what made the old code send it again
    const second = await runWatchdog(['check', '--host', engine.host, '--state', state, '-c', config], env);
    const got = slow.received.slice(before);
    expect(got).toHaveLength(1);
    expect(first.code).toBe(1);
    expect(first.stderr).toMatch(/^watchdog: warning: alert email sent but not confirmed by the server, so not sent again \(it may or may not have arrived\): <[^>]+>: cannot reach the SMTP server 127\.0\.0\.1:\d+: .*\n$/);
    expect(second.code).toBe(1);
    expect(second.stderr).toBe('');
    const db = new Database(state, { readonly: true });
    const rows = db.prepare('SELECT message_id AS messageId, transmitted_at AS transmittedAt, unconfirmed_at AS unconfirmedAt FROM outbox').all();
    db.close();
    expect(rows).toEqual([{ messageId: messageIdOf(got[0]!.raw), transmittedAt: expect.any(Number), unconfirmedAt: expect.any(Number) }]);
    expect(blocked).toBeLessThan(20);
    console.log(`slow server, 3 s data timeout: the first pass took ${blocked.toFixed(1)} s`);
  });
});

describe('an SMTP server that stalls before the message is sent (defect 6)', () => {
  let stalling: TestSmtp;
  beforeAll(async () => {
    stalling = await startSmtp({ stallFirstMailFrom: true });
  });
  afterAll(async () => {
    await stalling?.close();
  });

  it('keeps the message for the next run: it was never transmitted, so it is sent again, once', async () => {
    const state = `${engine.dir}/stall-mail.db`;
    const config = configFor('stall-mail', stalling.port);
    const env = { WATCHDOG_SMTP_DATA_TIMEOUT_MS: '3000' };
    const first = await runWatchdog(['check', '--host', engine.host, '--state', state, '-c', config], env);
    expect(first.stderr).toMatch(/^watchdog: warning: alert email not delivered, kept in the outbox for a later run: /);
    expect(stalling.received).toHaveLength(0);
    retryNow(state);
    const second = await runWatchdog(['check', '--host', engine.host, '--state', state, '-c', config], env);
    expect(second.stderr).toBe('');
    expect(stalling.received.map((m) => m.subject)).toEqual([expect.stringMatching(/^\[docker-watchdog\] WARNING \S+: data space /)]);
  });
});

describe('a state store that cannot be locked or written (defect 3)', () => {
  let smtp: TestSmtp;
  beforeAll(async () => {
    smtp = await startSmtp();
  });
  afterAll(async () => {
    await smtp?.close();
  });

  /** Three checks in a row; the fallback alert state goes to its own folder. */
  async function threeChecks(state: string, config: string, runtime: string) {
    const results = [];
    for (let i = 0; i < 3; i++) results.push(await runWatchdog(['check', '--host', engine.host, '--state', state, '-c', config], { WATCHDOG_RUNTIME_DIR: runtime }));
    return results;
  }

  it('mails a data-space alert once in three runs when the store is on a read-only mount', async () => {
    const mountpoint = `${engine.dir}/ro-state`;
    mkdirSync(mountpoint, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', mountpoint]);
    try {
      const before = smtp.received.length;
      const runs = await threeChecks(`${mountpoint}/state.db`, configFor('ro-state', smtp.port), `${engine.dir}/runtime-ro`);
      expect(runs.map((r) => r.code)).toEqual([1, 1, 1]);
      for (const r of runs) expect(r.stderr).not.toMatch(/unexpected error/);
      expect(smtp.received.slice(before).map((m) => m.subject)).toEqual([expect.stringMatching(/^\[docker-watchdog\] WARNING \S+: data space /)]);
    } finally {
      execFileSync('umount', ['-l', mountpoint]);
    }
  });

  it('mails a data-space alert once in three runs, and does not crash, when the store sits on a full filesystem', async () => {
    const mountpoint = `${engine.dir}/full-state`;
    mkdirSync(mountpoint, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mountpoint]);
    try {
      const state = `${mountpoint}/state.db`;
      const config = configFor('full-state', smtp.port);
      // The store exists (a report made it), then the filesystem fills up.
      expect((await runWatchdog(['report', '--host', engine.host, '--state', state, '-c', config])).code).toBe(1);
      try {
        execFileSync('dd', ['if=/dev/zero', `of=${mountpoint}/fill`, 'bs=4k'], { stdio: 'ignore' });
      } catch {
        // No space left on device: full, as wanted.
      }
      const before = smtp.received.length;
      const runs = await threeChecks(state, config, `${engine.dir}/runtime-full`);
      expect(runs.map((r) => r.code)).toEqual([1, 1, 1]);
      for (const r of runs) expect(r.stderr).not.toMatch(/unexpected error/);
      expect(smtp.received.slice(before).map((m) => m.subject)).toEqual([expect.stringMatching(/^\[docker-watchdog\] WARNING \S+: data space /)]);
    } finally {
      execFileSync('umount', ['-l', mountpoint]);
    }
  });
});
