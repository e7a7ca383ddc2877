// Email alerts against a real SMTP server on 127.0.0.1 and a real engine whose disk is
// filled to warning, then critical, then freed.

import { statfsSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_OFF, reportJson, runWatchdog } from '../helpers/cli.js';
import { runContainer, startEngine, type TestEngine } from '../helpers/engine.js';
import { startSmtp, type TestSmtp } from '../helpers/smtp.js';

let engine: TestEngine;
const fillers: string[] = [];

beforeAll(async () => {
  engine = await startEngine('alerts', 256);
});

afterAll(async () => {
  await engine?.stop();
});

const configFor = (name: string, email: Record<string, unknown>, extra = ''): string => {
  const path = `${engine.dir}/${name}.yaml`;
  const lines = Object.entries({ from: 'watchdog@test.invalid', to: ['ops@test.invalid'], ...email }).map(([k, v]) => `    ${k}: ${JSON.stringify(v)}`);
  writeFileSync(path, `${AUDIT_OFF}alerts:\n  email:\n${lines.join('\n')}\n${extra}logs:\n  archiveDir: ${engine.dir}/archive\n`);
  return path;
};

/** Fills the data-root to `fraction` of its usable bytes with an exited container. */
async function fillTo(fraction: number): Promise<void> {
  const fs = statfsSync(`${engine.dir}/root`);
  const used = (fs.blocks - fs.bfree) * fs.bsize;
  const megabytes = Math.ceil((fraction * (used + fs.bavail * fs.bsize) - used) / 1e6);
  fillers.push(await runContainer(engine.docker, { name: `filler-${fillers.length}`, cmd: ['dd', 'if=/dev/zero', 'of=/fill', 'bs=1000000', `count=${megabytes}`], logOpts: { 'max-size': '1m' } }));
}

/** A port on 127.0.0.1 with nothing listening. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('email alerts', () => {
  let smtp: TestSmtp;
  beforeAll(async () => {
    smtp = await startSmtp();
  });
  afterAll(async () => {
    await smtp?.close();
  });

  it('sends one warning, nothing during the cooldown, one critical and one resolved digest', async () => {
    const state = `${engine.dir}/sequence.db`;
    const config = configFor('sequence', { host: '127.0.0.1', port: smtp.port });
    const check = () => runWatchdog(['check', '--host', engine.host, '--state', state, '-c', config]);

    expect((await check()).code).toBe(0);
    expect(smtp.received).toEqual([]);

    await fillTo(0.85);
    expect((await check()).code).toBe(1);
    expect((await check()).code).toBe(1); // still warning: within the cooldown
    await fillTo(0.93);
    expect((await check()).code).toBe(2);
    for (const id of fillers.splice(0)) await engine.docker.getContainer(id).remove();
    expect((await check()).code).toBe(0);

    const host = (await engine.docker.info()).Name as string;
    expect(smtp.received.map((m) => m.subject)).toEqual([
      expect.stringMatching(new RegExp(`^\\[docker-watchdog\\] WARNING ${host}: data space 8\\d\\.\\d% used \\(${engine.dir}/root\\): `)),
      expect.stringMatching(new RegExp(`^\\[docker-watchdog\\] CRITICAL ${host}: data space 9\\d\\.\\d% used`)),
      expect.stringMatching(new RegExp(`^\\[docker-watchdog\\] RESOLVED ${host}: data space 9\\d\\.\\d% used`)),
    ]);
    expect(smtp.received.every((m) => m.to.join() === 'ops@test.invalid' && m.from === 'watchdog@test.invalid')).toBe(true);
    expect(smtp.received[1]!.raw).toMatch(/^Content-Type: text\/plain/im);
    expect(smtp.received[1]!.body).toContain('WORSE');
  });

  it('sends a short "all quiet" heartbeat when nothing was sent for alerts.heartbeat', async () => {
    const state = `${engine.dir}/heartbeat.db`;
    const config = configFor('heartbeat', { host: '127.0.0.1', port: smtp.port }, '  heartbeat: 2s\n');
    const before = smtp.received.length;
    await runWatchdog(['check', '--host', engine.host, '--state', state, '-c', config]);
    await runWatchdog(['check', '--host', engine.host, '--state', state, '-c', config]); // within 2 s of the first: quiet
    await new Promise((resolve) => setTimeout(resolve, 2100));
    await runWatchdog(['check', '--host', engine.host, '--state', state, '-c', config]);
    expect(smtp.received.slice(before).map((m) => m.subject)).toEqual([expect.stringMatching(/^\[docker-watchdog\] OK \S+: all quiet \(heartbeat\)$/), expect.stringMatching(/all quiet/)]);
  });

  it('keeps an alert in the outbox while the server is down, shows it in report, and delivers it once when it is back', async () => {
    const state = `${engine.dir}/outbox.db`;
    const port = await closedPort();
    const config = configFor('outbox', { host: '127.0.0.1', port });
    await fillTo(0.85);
    const down = await runWatchdog(['check', '--host', engine.host, '--state', state, '-c', config]);
    expect(down.stderr).toMatch(new RegExp(`^watchdog: warning: alert email not delivered, kept in the outbox for a later run: cannot reach the SMTP server 127\\.0\\.0\\.1:${port}`));
    const { report } = await reportJson(engine.host, ['--state', state, '-c', config]);
    expect(report.findings).toContainEqual(expect.objectContaining({ code: 'ALERT_DELIVERY_FAILED', severity: 'warning', message: expect.stringMatching(/^1 alert email not delivered since .*cannot reach the SMTP server/) }));

    const back = await startSmtp({ port });
    try {
      // The retry waits a minute after the first failure: let that minute pass.
      const db = new Database(state);
      db.prepare('UPDATE outbox SET next_attempt_at = 0 WHERE sent_at IS NULL').run();
      db.close();
      const again = await runWatchdog(['check', '--host', engine.host, '--state', state, '-c', config]);
      expect(again.stderr).toBe('');
      await runWatchdog(['check', '--host', engine.host, '--state', state, '-c', config]);
      expect(back.received.map((m) => m.subject)).toEqual([expect.stringMatching(/^\[docker-watchdog\] WARNING /)]);
      const { report: after } = await reportJson(engine.host, ['--state', state, '-c', config]);
      expect(after.findings.some((f: any) => f.code === 'ALERT_DELIVERY_FAILED')).toBe(false);
    } finally {
      await back.close();
      for (const id of fillers.splice(0)) await engine.docker.getContainer(id).remove();
    }
  });
});

describe('SMTP with STARTTLS and a login', () => {
  let smtp: TestSmtp;
  beforeAll(async () => {
    smtp = await startSmtp({ tls: true, auth: { user: 'watchdog', pass: 's3cret' } });
    writeFileSync(`${engine.dir}/smtp-password`, 's3cret\n');
    writeFileSync(`${engine.dir}/wrong-password`, 'nope\n');
  });
  afterAll(async () => {
    await smtp?.close();
  });

  const tlsConfig = (extra: Record<string, unknown>) => configFor(`tls-${Object.keys(extra).join('-')}`, { host: '127.0.0.1', port: smtp.port, requireTls: true, user: 'watchdog', ...extra });

  it('sends through STARTTLS with a self-signed certificate when told to trust it, and says what the server answered', async () => {
    const { code, stdout, stderr } = await runWatchdog(['alert', 'test', '-c', tlsConfig({ trustSelfSigned: true, passwordFile: `${engine.dir}/smtp-password` })]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(new RegExp(`^sent to ops@test\\.invalid through 127\\.0\\.0\\.1:${smtp.port}; the server answered: 250 .+\\n$`));
    expect(smtp.received.at(-1)!.subject).toMatch(/^\[docker-watchdog\] TEST /);
  });

  it('refuses an unverifiable certificate unless told to trust it', async () => {
    const { code, stderr } = await runWatchdog(['alert', 'test', '-c', tlsConfig({ passwordFile: `${engine.dir}/smtp-password` })]);
    expect(code).toBe(1);
    expect(stderr).toMatch(new RegExp(`^watchdog: TLS with the SMTP server 127\\.0\\.0\\.1:${smtp.port} failed: .*self[- ]signed.*; set alerts\\.email\\.trustSelfSigned to accept a self-signed certificate\\.\\n$`));
  });

  it('refuses, naming the key, a password file that is not there (issue #9, defect 7); sends the alert once the file is there', async () => {
    const runner = await runContainer(engine.docker, { name: 'chatty', cmd: ['sleep', '600'], detach: true });
    try {
      const state = `${engine.dir}/password-file.db`;
      const passwordFile = `${engine.dir}/password-later`;
      const config = tlsConfig({ trustSelfSigned: true, passwordFile });
      const before = smtp.received.length;
      for (const args of [['config', 'check', config], ['check', '--host', engine.host, '--state', state, '-c', config]]) {
        const first = await runWatchdog(args);
        expect(first.stderr).toBe(`watchdog: The configuration ${config} has 1 problem:\n  alerts.email.passwordFile: "${passwordFile}" cannot be read (ENOENT); write the password into that file, or fix the path\n`);
        expect(first.code).toBe(78);
      }
      // A report (or a prune) by hand sends no mail: it needs no password.
      const report = await runWatchdog(['report', '--json', '--host', engine.host, '--state', `${engine.dir}/password-report.db`, '-c', config]);
      expect([report.code, report.stderr]).toEqual([1, '']);

      writeFileSync(passwordFile, 's3cret\n');
      const second = await runWatchdog(['check', '--host', engine.host, '--state', state, '-c', config]);
      expect(second.stderr).toBe('');
      expect(smtp.received.slice(before).map((m) => m.subject)).toEqual([expect.stringMatching(/^\[docker-watchdog\] WARNING \S+: chatty: json-file log has no max-size/)]);
    } finally {
      await engine.docker.getContainer(runner).remove({ force: true });
    }
  });

  it('says in one sentence that the password is wrong, naming the server, and keeps the alert queued', async () => {
    const config = tlsConfig({ trustSelfSigned: true, passwordEnv: 'WD_SMTP_PASSWORD' });
    // An unset variable is refused when the file is loaded (issue #9, defect 7).
    const unset = await runWatchdog(['alert', 'test', '-c', config], { WD_SMTP_PASSWORD: undefined });
    expect(unset.stderr).toBe(`watchdog: The configuration ${config} has 1 problem:\n  alerts.email.passwordEnv: WD_SMTP_PASSWORD is not set in the environment; set it where the watchdog runs (for systemd, EnvironmentFile= in the unit)\n`);
    expect(unset.code).toBe(78);
    const test = await runWatchdog(['alert', 'test', '-c', config], { WD_SMTP_PASSWORD: 'nope' });
    expect(test.code).toBe(1);
    expect(test.stderr).toMatch(new RegExp(`^watchdog: the SMTP server 127\\.0\\.0\\.1:${smtp.port} refused the login: 535 .*\\.\\n$`));

    const state = `${engine.dir}/auth.db`;
    const failure = await runWatchdog(['alert', 'failure', 'docker-watchdog.service', '--state', state, '-c', config], { WD_SMTP_PASSWORD: 'nope' });
    expect(failure.code).toBe(1);
    const db = new Database(state, { readonly: true });
    expect(db.prepare('SELECT subject, attempts, sent_at AS sentAt FROM outbox').all()).toEqual([{ subject: expect.stringMatching(/CRITICAL .*: docker-watchdog\.service failed$/), attempts: 1, sentAt: null }]);
    db.close();
  });
});
