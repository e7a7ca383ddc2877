// `watchdog watch`, the daemon (issue #11), against real engines: it rotates a log
// written at full speed again and again without losing or doubling a line, at most once
// per watch.minRotateInterval; it watches containers started after it; it bundles and
// mails a container that ends with a changed /bin at once; it outlives an engine outage;
// SIGHUP and SIGTERM do what they must; and `check` leaves to it what it does.
// Timings are printed, not asserted (except the 5 s of a suspicious container's alert,
// which the issue asks for): machines are noisy.

import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { gunzipSync } from 'node:zlib';
import { createServer, type AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_OFF, reportJson, runWatchdog } from '../helpers/cli.js';
import { median, startDaemon, startDockerd, stopAllDaemons, stopDockerd, type Daemon, type DaemonLine } from '../helpers/daemon.js';
import { runContainer, startEngine, TEST_IMAGE, type ContainerSpec, type TestEngine } from '../helpers/engine.js';
import { holdingProxy, tcpProxy } from '../helpers/proxy.js';
import { startSmtp, type TestSmtp } from '../helpers/smtp.js';

// An engine of its own: the max-rate writers here must not fill the shared one, and the
// daemon's `watching` lines are about these tests' containers only.
let engine: TestEngine;
const containers: string[] = [];

beforeAll(async () => {
  engine = await startEngine('watch', 1024);
});

afterEach(async () => {
  await stopAllDaemons();
  for (const id of containers.splice(0)) await engine.docker.getContainer(id).remove({ force: true }).catch(() => {});
});

afterAll(async () => {
  await engine?.stop();
});

interface Setup {
  dir: string;
  config: string;
  state: string;
  archiveDir: string;
}

/** A folder of the test's own under the engine's: its configuration, store and archives. */
function setup(name: string, settings: { maxSize?: string; minRotateInterval?: string; extra?: string } = {}): Setup {
  const dir = `${engine.dir}/${name}`;
  mkdirSync(dir, { recursive: true });
  const s = { dir, config: `${dir}/watchdog.yaml`, state: `${dir}/state.db`, archiveDir: `${dir}/archive` };
  writeConfig(s, settings);
  return s;
}

function writeConfig(s: Setup, settings: { maxSize?: string; minRotateInterval?: string; extra?: string }): void {
  const lines = ['logs:', `  archiveDir: ${s.archiveDir}`, '  keep: 100', `  maxSize: ${settings.maxSize ?? '5MB'}`];
  if (settings.minRotateInterval) lines.push('watch:', `  minRotateInterval: ${settings.minRotateInterval}`);
  writeFileSync(s.config, `${AUDIT_OFF}${lines.join('\n')}\n${settings.extra ?? ''}`);
}

/** `watchdog watch` on the engine (or HOST), with JSON lines; awaits its `started` line. */
async function watch(s: Setup, host = engine.host): Promise<Daemon> {
  const daemon = startDaemon(['watch', '--host', host, '-c', s.config, '--state', s.state, '--log-format', 'json']);
  await daemon.waitFor('`started` line', (l) => l.event === 'started', 20_000);
  return daemon;
}

async function container(spec: ContainerSpec, on = engine): Promise<string> {
  const id = await runContainer(on.docker, spec);
  if (on === engine) containers.push(id);
  return id;
}

const about = (event: string, id: string) => (l: DaemonLine) => l.event === event && l.containerId === id;
const logPathOf = async (id: string, on = engine) => (await on.docker.getContainer(id).inspect()).LogPath as string;
const ms = (iso: string) => Date.parse(iso);

/** The archives of a container (`<archiveDir>/logs/<name>-<id>/`), oldest first. */
function archivesOf(archiveDir: string, name: string): string[] {
  const logs = join(archiveDir, 'logs');
  if (!existsSync(logs)) return [];
  const folder = readdirSync(logs).find((f) => f.startsWith(`${name}-`));
  if (!folder) return [];
  return readdirSync(join(logs, folder))
    .filter((f) => f.endsWith('.json.log.gz'))
    .sort()
    .map((f) => join(logs, folder, f));
}

// A json-file line of a number from seq: {"log":"123\n","stream":"stdout","time":"..."};
// the last one may lack its newline (the writer was killed in the middle of a line).
const SEQ_LINE = /^\{"log":"(\d*)(\\n)?","stream":"stdout","time":"[^"]+"\}$/;

/**
 * Checks that the json-file texts, in order, hold the numbers 1, 2, 3, ... each exactly
 * once, in whole lines, with no NUL byte; returns how many, or the first thing wrong.
 */
function checkSeq(files: Array<{ name: string; data: Buffer }>): { count: number; problem: string | null } {
  let expected = 1;
  let partialSeen: string | null = null;
  for (const { name, data } of files) {
    if (data.includes(0)) return { count: expected - 1, problem: `${name} holds a NUL byte at ${data.indexOf(0)} (truncated under the engine)` };
    const text = data.toString('latin1');
    if (text.length > 0 && !text.endsWith('\n')) return { count: expected - 1, problem: `${name} ends in the middle of a line: ${JSON.stringify(text.slice(-120))}` };
    let start = 0;
    for (let lineNo = 1; start < text.length; lineNo++) {
      const end = text.indexOf('\n', start);
      const line = text.slice(start, end);
      start = end + 1;
      const where = `${name} line ${lineNo}`;
      if (partialSeen !== null) return { count: expected - 1, problem: `${where} comes after the writer's last, unfinished line (${partialSeen}): ${line.slice(0, 200)}` };
      const match = SEQ_LINE.exec(line);
      if (!match) return { count: expected - 1, problem: `${where} is not a json-file line of the counter: ${JSON.stringify(line.slice(0, 200))}` };
      if (!match[2]) {
        if (!String(expected).startsWith(match[1]!)) return { count: expected - 1, problem: `${where}: an unfinished line "${match[1]}" where ${expected} was due` };
        partialSeen = `${where}: "${match[1]}"`;
        continue;
      }
      const n = Number(match[1]);
      if (n !== expected) return { count: expected - 1, problem: `${where}: ${n} where ${expected} was due (${n < expected ? 'a line twice' : `${n - expected} lines lost`})` };
      expected++;
    }
  }
  return { count: expected - 1, problem: null };
}

describe('watchdog watch', () => {
  it('rotates a log written at full speed again and again, and every line of it is in exactly one archive or the live log', async () => {
    const s = setup('maxrate', { maxSize: '5MB', minRotateInterval: '2s' });
    const daemon = await watch(s);
    const writer = await container({ name: 'watch-maxrate', cmd: ['seq', '1', '999999999'], detach: true });
    try {
      await daemon.waitFor('third `rotated` line of watch-maxrate', about('rotated', writer), 30_000, 3);
      await sleep(1500);
    } finally {
      await engine.docker.getContainer(writer).kill().catch(() => {});
    }
    await engine.docker.getContainer(writer).wait();
    // What the daemon does about the writer's end (a last rotation, a drift) is over
    // before it is stopped.
    await daemon.waitFor('`drift` line of watch-maxrate', about('drift', writer), 15_000).catch(() => {});
    const exit = await daemon.stop();
    expect(exit, daemon.transcript()).toEqual({ code: 143, signal: null });

    const rotated = daemon.lines.filter(about('rotated', writer));
    const failed = daemon.lines.filter((l) => l.containerId === writer && (l.event === 'rotation-failed' || l.event === 'rotation-skipped'));
    const latencies = rotated.map((l) => l.latencyMs as number);
    console.log(
      `watch, max-rate writer: ${rotated.length} rotations; crossing-to-renamed latency median ${Math.round(median(latencies))} ms, worst ${Math.round(Math.max(...latencies))} ms (target ≤ 2000 ms); ` +
        `latencies ${latencies.map((l) => Math.round(l)).join(', ')} ms${failed.length ? `; also ${failed.map((l) => `${l.event} ${l.code}: ${l.message}`).join(' | ')}` : ''}`,
    );
    expect(rotated.length).toBeGreaterThanOrEqual(3);
    for (const line of rotated) {
      expect(line).toMatchObject({ container: 'watch-maxrate', archive: expect.any(String), bytesArchived: expect.any(Number), overLimitAt: expect.any(String), dueAt: expect.any(String), latencyMs: expect.any(Number) });
      expect(line.bytesArchived).toBeGreaterThanOrEqual(5_000_000);
      expect(ms(line.dueAt)).toBeGreaterThanOrEqual(ms(line.overLimitAt));
      expect(existsSync(line.archive), `${line.archive} (named by a rotated line) exists`).toBe(true);
    }
    // The minimum interval holds here too: 2 s between one rotation's due time and the next.
    for (let i = 1; i < rotated.length; i++) expect(ms(rotated[i]!.dueAt) - ms(rotated[i - 1]!.dueAt)).toBeGreaterThanOrEqual(2000);

    const archives = archivesOf(s.archiveDir, 'watch-maxrate');
    expect(archives.length).toBe(rotated.length);
    const files = [...archives.map((a) => ({ name: a, data: gunzipSync(readFileSync(a)) })), { name: 'the live log', data: readFileSync(await logPathOf(writer)) }];
    const { count, problem } = checkSeq(files);
    expect(problem).toBeNull();
    expect(count).toBeGreaterThan(500_000);
    console.log(`watch, max-rate writer: ${count} lines in ${archives.length} archives and the live log, each exactly once`);
    expect(daemon.malformed).toEqual([]);
  });

  it('rotates a fast writer at most once per watch.minRotateInterval (30 s by default)', async () => {
    const s = setup('interval', { maxSize: '5MB' });
    const daemon = await watch(s);
    // About 3 MB/s: over 5 MB again two seconds after each rotation.
    const writer = await container({ name: 'watch-interval', cmd: ['sh', '-c', 'while true; do seq 1 5000; usleep 100000; done'], detach: true });
    const first = await daemon.waitFor('first `rotated` line of watch-interval', about('rotated', writer), 20_000);
    // The log is over the limit again at once; the next rotation is due 30 s after the first.
    const second = await daemon.waitFor('second `rotated` line of watch-interval', about('rotated', writer), Math.max(1, ms(first.at) + 40_000 - Date.now()), 2).catch((error: Error) => error);
    const rotated = daemon.lines.filter(about('rotated', writer));
    console.log(`watch, minRotateInterval 30s: rotations at ${rotated.map((l) => `${l.at} (due ${l.dueAt})`).join(', ')}`);
    expect(rotated.length, daemon.transcript()).toBeLessThanOrEqual(2);
    for (let i = 1; i < rotated.length; i++) {
      expect(ms(rotated[i]!.dueAt) - ms(rotated[i - 1]!.dueAt)).toBeGreaterThanOrEqual(30_000);
      expect(ms(rotated[i]!.at) - ms(rotated[i - 1]!.at)).toBeGreaterThanOrEqual(29_000);
    }
    // Not spinning is not stopping: the log stayed over the limit, so it is rotated again
    // once the 30 s are up.
    if (second instanceof Error) throw second;
    expect(rotated).toHaveLength(2);
  });

  it('watches a container started after it within a second or so, and rotates its log once it is over logs.maxSize', async () => {
    const s = setup('late', { maxSize: '5MB' });
    const daemon = await watch(s);
    const created = await engine.docker.createContainer({
      Image: TEST_IMAGE,
      name: 'watch-late',
      // About 11 MB of log after a second, then quiet.
      Cmd: ['sh', '-c', 'sleep 1; seq 1 150000; exec sleep 600'],
      HostConfig: { NetworkMode: 'none', LogConfig: { Type: 'json-file', Config: {} } },
    });
    containers.push(created.id);
    const startedAt = Date.now();
    await created.start();
    const watching = await daemon.waitFor('`watching` line of watch-late', about('watching', created.id), 10_000);
    const delay = daemon.arrivals[daemon.lines.indexOf(watching)]! - startedAt;
    console.log(`watch: a container started after the daemon was watched ${delay} ms after its start (target 1000 ms)`);
    expect(watching).toMatchObject({ container: 'watch-late', path: await logPathOf(created.id) });
    const rotated = await daemon.waitFor('`rotated` line of watch-late', about('rotated', created.id), 20_000);
    expect(rotated.bytesArchived).toBeGreaterThanOrEqual(5_000_000);
    expect(archivesOf(s.archiveDir, 'watch-late')).toEqual([rotated.archive]);
    console.log(`watch: watch-late rotated ${rotated.latencyMs} ms after it was due`);

    // One that is over the limit at once, maybe before the daemon's watch on its file is
    // in place, and then quiet: no later write tells the daemon about it.
    const early = await container({ name: 'watch-early', cmd: ['sh', '-c', 'seq 1 80000; exec sleep 600'], detach: true });
    await daemon.waitFor('`watching` line of watch-early', about('watching', early), 10_000);
    const earlyLog = await logPathOf(early);
    const rotatedEarly = await daemon.waitFor('`rotated` line of watch-early (about 6 MB written in its first moments, then nothing)', about('rotated', early), 15_000).catch((error: Error) => {
      throw new Error(`${error.message}\nits log is ${statSync(earlyLog).size} bytes now`);
    });
    expect(rotatedEarly.bytesArchived).toBeGreaterThan(5_000_000);
  });

  describe('with mail', () => {
    let smtp: TestSmtp;
    beforeAll(async () => {
      smtp = await startSmtp();
    });
    afterAll(async () => {
      await smtp?.close();
    });
    const mailConfig = () => `alerts:\n  email:\n    host: 127.0.0.1\n    port: ${smtp.port}\n    from: watchdog@test.invalid\n    to: [ops@test.invalid]\n`;
    const mailsAbout = (name: string) => smtp.received.filter((m) => m.subject.includes(name) || m.body.includes(name));

    it('bundles and mails a container that ends with a changed /bin file within 5 s of its end, and leaves a clean one be', async () => {
      const s = setup('drift', { extra: mailConfig() });
      const daemon = await watch(s);
      // Their logs have a max-size: no other finding (and mail) is about them.
      const [intruder, clean] = await Promise.all([
        container({ name: 'watch-intruder', cmd: ['sh', '-c', 'echo x > /bin/evil; sleep 1'], logOpts: { 'max-size': '1m' } }),
        container({ name: 'watch-clean', cmd: ['sh', '-c', 'echo x > /tmp/scratch; sleep 1'], logOpts: { 'max-size': '1m' } }),
      ]);
      const finishedAt = ms((await engine.docker.getContainer(intruder).inspect()).State.FinishedAt);

      const drift = await daemon.waitFor('`drift` line of watch-intruder', about('drift', intruder), 15_000);
      const driftDelay = daemon.arrivals[daemon.lines.indexOf(drift)]! - finishedAt;
      expect(drift).toMatchObject({ container: 'watch-intruder', suspicious: true, bundle: expect.any(String) });
      expect(existsSync(drift.bundle), `bundle ${drift.bundle}`).toBe(true);
      expect(JSON.parse(readFileSync(join(drift.bundle, 'changes.json'), 'utf8'))).toContainEqual({ path: '/bin/evil', kind: 'added' });

      let mailAt: number | null = null;
      for (let i = 0; i < 300 && mailAt === null; i++) {
        if (mailsAbout('watch-intruder').length > 0) mailAt = Date.now();
        else await sleep(50);
      }
      console.log(`watch: watch-intruder's drift line ${driftDelay} ms and its mail ${mailAt === null ? 'never (15 s)' : `${mailAt - finishedAt} ms`} after it ended (target ≤ 5000 ms)`);
      expect(mailAt, `no mail about watch-intruder within 15 s; mails: ${JSON.stringify(smtp.received.map((m) => m.subject))}\n${daemon.transcript()}`).not.toBeNull();
      expect(mailAt! - finishedAt).toBeLessThanOrEqual(5000);
      expect(driftDelay).toBeLessThanOrEqual(5000);
      expect(mailsAbout('watch-intruder')[0]!.subject).toMatch(/ CRITICAL /);

      const cleanDrift = await daemon.waitFor('`drift` line of watch-clean', about('drift', clean), 10_000);
      expect(cleanDrift).toMatchObject({ container: 'watch-clean', suspicious: false, bundle: null });
      // One mail, not one per pass or per event; none about the clean one, which is left
      // to the retention policy (24 h here): still there.
      await sleep(3000);
      expect(mailsAbout('watch-intruder')).toHaveLength(1);
      expect(mailsAbout('watch-clean')).toEqual([]);
      expect((await engine.docker.getContainer(clean).inspect()).State.Status).toBe('exited');
      expect(daemon.running(), daemon.transcript()).toBe(true);

      // A daemon started again (systemd restarting it) on the same store knows the
      // intruder is still there: no RESOLVED mail from its first pass, no second bundle.
      await daemon.stop();
      const again = await watch(s);
      await again.waitFor('first `full-pass` line', (l) => l.event === 'full-pass', 15_000);
      await sleep(1000);
      expect(mailsAbout('watch-intruder'), JSON.stringify(mailsAbout('watch-intruder').map((m) => m.subject))).toHaveLength(1);
      expect(again.lines.filter((l) => l.event === 'drift')).toEqual([]);
    });

    it('leaves rotation, pruning and mail to the daemon in `check` on the same store, and `report` shows the daemon', async () => {
      // horizon at its least (1 m): no runaway alarm (and the full pass it starts) from
      // the writer below, on this engine's 1 GB.
      const s = setup('coexist', { maxSize: '5MB', extra: `containers:\n  exited:\n    maxAge: 3s\n    keepLast: 0\nwatch:\n  horizon: 1m\n${mailConfig()}` });
      const daemon = await watch(s);
      expect(daemon.lines.find((l) => l.event === 'started')).toMatchObject({ pid: daemon.pid });
      const fullPasses = () => daemon.lines.filter((l) => l.event === 'full-pass').length;
      const firstPass = daemon.lines.find((l) => l.event === 'full-pass') ?? null;

      const writer = await container({ name: 'watch-coexist-writer', cmd: ['sh', '-c', 'while true; do seq 1 5000; usleep 100000; done'], detach: true });
      await daemon.waitFor('`rotated` line of watch-coexist-writer', about('rotated', writer), 20_000);
      // A container that ends starts a pass of the daemon's (drift, then prune by age):
      // this one is still younger than maxAge then, and is kept.
      const passes = fullPasses();
      const old = await container({ name: 'watch-coexist-old', cmd: ['true'], logOpts: { 'max-size': '1m' } });
      await daemon.waitFor('the full pass after watch-coexist-old ended', (l) => l.event === 'full-pass', 15_000, passes + 1);
      expect((await engine.docker.getContainer(old).inspect()).State.Status, daemon.transcript()).toBe('exited');
      // Now the old container gets past maxAge, and the writer's log is over maxSize
      // again; the daemon rotates it again only 30 s after the first.
      await sleep(Math.max(0, ms((await engine.docker.getContainer(old).inspect()).State.FinishedAt) + 4000 - Date.now()));
      expect(statSync(await logPathOf(writer)).size).toBeGreaterThan(5_000_000);

      const passesBefore = fullPasses();
      const mailsBefore = smtp.received.length;
      const linesBefore = daemon.lines.length;
      const check = await runWatchdog(['check', '--json', '--host', engine.host, '--state', s.state, '-c', s.config]);
      expect(check.stdout, check.stderr).not.toBe('');
      const out = JSON.parse(check.stdout);
      await sleep(1500);

      expect(fullPasses(), `the daemon made a full pass of its own meanwhile: this test cannot tell who did what\n${daemon.transcript()}`).toBe(passesBefore);
      expect((await engine.docker.getContainer(old).inspect()).State.Status).toBe('exited');
      expect(archivesOf(s.archiveDir, 'watch-coexist-writer')).toHaveLength(daemon.lines.filter(about('rotated', writer)).length);
      expect((out.rotation?.results ?? []).filter((r: any) => r.outcome === 'done')).toEqual([]);
      expect((out.prune?.results ?? []).filter((r: any) => r.outcome === 'done')).toEqual([]);
      // Every mail sent meanwhile is one the daemon says it sent.
      const daemonSent = daemon.lines.slice(linesBefore).filter((l) => l.event === 'alert').reduce((sum, l) => sum + (l.sent as number), 0);
      expect(smtp.received.slice(mailsBefore).map((m) => m.subject)).toHaveLength(daemonSent);

      const text = await runWatchdog(['report', '--host', engine.host, '--state', s.state, '-c', s.config]);
      expect(text.stdout).toMatch(new RegExp(`^Daemon: .*\\(pid ${daemon.pid}\\)`, 'm'));
      const { report } = await reportJson(engine.host, ['--state', s.state, '-c', s.config]);
      expect(report.daemon).toMatchObject({ pid: daemon.pid, since: expect.any(String) });
      if (firstPass) expect(report.daemon.lastFullPassAt).not.toBeNull();

      expect(await daemon.stop()).toEqual({ code: 143, signal: null });
      const after = await reportJson(engine.host, ['--state', s.state, '-c', s.config]);
      expect(after.report.daemon === null || after.report.daemon.running === false, JSON.stringify(after.report.daemon)).toBe(true);
      expect(daemon.malformed).toEqual([]);
    });
  });

  it('keeps its configuration when SIGHUP finds a broken file, and takes a valid changed one', async () => {
    const s = setup('reload', { maxSize: '5MB' });
    const daemon = await watch(s);
    writeFileSync(s.config, `logs:\n  archiveDir: ${s.archiveDir}\n  maxSize: [1MB\n`);
    daemon.child.kill('SIGHUP');
    const failed = await daemon.waitFor('`reload-failed` line', (l) => l.event === 'reload-failed', 10_000);
    console.log(`watch: reload-failed says: ${failed.message}`);
    await sleep(1000);
    expect(daemon.running(), daemon.transcript()).toBe(true);
    expect(daemon.lines.some((l) => l.event === 'reloaded')).toBe(false);

    // About 7.5 MB: over the old 5 MB, far under the default 100 MB (written a second
    // after the start: a log full at once is the test above's).
    const big = await container({ name: 'watch-reload-big', cmd: ['sh', '-c', 'sleep 1; seq 1 100000; exec sleep 600'], detach: true });
    await daemon.waitFor('`rotated` line of watch-reload-big (the old maxSize, 5MB)', about('rotated', big), 20_000);

    writeConfig(s, { maxSize: '2MB' });
    daemon.child.kill('SIGHUP');
    await daemon.waitFor('`reloaded` line', (l) => l.event === 'reloaded', 10_000);
    // About 3 MB: over the new 2 MB, under the old 5 MB.
    const small = await container({ name: 'watch-reload-small', cmd: ['sh', '-c', 'sleep 1; seq 1 40000; exec sleep 600'], detach: true });
    await daemon.waitFor('`rotated` line of watch-reload-small (the new maxSize, 2MB)', about('rotated', small), 20_000);
    expect(daemon.running()).toBe(true);
  });

  it('unpauses the container it is rotating when SIGTERM comes, and ends within 10 s (143)', async () => {
    const s = setup('sigterm', { maxSize: '1MB' });
    const proxy = await holdingProxy(`${engine.dir}/docker.sock`, `${s.dir}/hold.sock`, /^POST \S*\/containers\/[0-9a-f]+\/pause /, 4000);
    try {
      // About 1.5 MB at once, then a line every 20 ms.
      const writer = await container({ name: 'watch-sigterm', cmd: ['sh', '-c', 'seq 1 20000; while true; do echo tick; usleep 20000; done'], detach: true });
      await sleep(1000);
      const held = proxy.nextHeld();
      const daemon = startDaemon(['watch', '--host', proxy.host, '-c', s.config, '--state', s.state, '--log-format', 'json']);
      const line = await Promise.race([held, sleep(20_000).then(() => null)]);
      expect(line, `the daemon never paused watch-sigterm\n${daemon.transcript()}`).not.toBeNull();
      for (let i = 0; i < 50 && !(await engine.docker.getContainer(writer).inspect()).State.Paused; i++) await sleep(20);
      expect((await engine.docker.getContainer(writer).inspect()).State.Paused).toBe(true);

      const signalled = Date.now();
      daemon.child.kill('SIGTERM');
      const exit = await daemon.waitExit(10_000);
      console.log(`watch: SIGTERM mid-rotation: ended after ${Date.now() - signalled} ms`);
      expect(exit, daemon.transcript()).toEqual({ code: 143, signal: null });
      const state = (await engine.docker.getContainer(writer).inspect()).State;
      expect({ running: state.Running, paused: state.Paused }).toEqual({ running: true, paused: false });
      expect(daemon.lines).toContainEqual(expect.objectContaining({ event: 'stopping', signal: 'SIGTERM' }));
    } finally {
      await proxy.close();
    }
  });

  it('refuses a remote engine in one sentence, exit 64', async () => {
    const remote = await tcpProxy(`${engine.dir}/docker.sock`);
    try {
      const s = setup('remote');
      const daemon = startDaemon(['watch', '--host', remote.host, '-c', s.config, '--state', s.state, '--log-format', 'json']);
      const exit = await daemon.waitExit(15_000);
      expect(exit, daemon.transcript()).toEqual({ code: 64, signal: null });
      expect(daemon.stderr()).toMatch(/^watchdog: [^\n]+\.\n$/);
      expect(daemon.stderr()).toMatch(/remote|local|files|host/i); // why: it needs the engine's files
      expect(daemon.lines.filter((l) => l.event === 'started' || l.event === 'watching')).toEqual([]);
    } finally {
      await remote.close();
    }
  });

  it('--listen: serves /metrics and nothing else; an address already taken ends it before it acts, and so does an engine it cannot reach (exit 3)', async () => {
    const s = setup('listen');
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as AddressInfo).port;
    try {
      const refused = startDaemon(['watch', '--host', engine.host, '-c', s.config, '--state', s.state, '--log-format', 'json', '--listen', `127.0.0.1:${port}`]);
      const exit = await refused.waitExit(15_000);
      expect(exit, refused.transcript()).toEqual({ code: 3, signal: null });
      expect(refused.stderr()).toBe(`watchdog: watchdog watch could not listen on 127.0.0.1:${port} for --listen (EADDRINUSE); choose another address or port, or stop what holds it.\n`);
      expect(refused.lines.map((l) => l.event)).toEqual([]);
    } finally {
      taken.close();
    }

    // Bound, then no engine: it ends (exit 3) instead of serving 503 for ever.
    const orphan = startDaemon(['watch', '--host', `unix://${engine.dir}/no-such.sock`, '-c', s.config, '--state', s.state, '--log-format', 'json', '--listen', '127.0.0.1:0']);
    const ended = await orphan.waitExit(15_000);
    expect(ended, orphan.transcript()).toEqual({ code: 3, signal: null });
    expect(orphan.lines.map((l) => l.event)).toEqual(['listening']);

    const daemon = startDaemon(['watch', '--host', engine.host, '-c', s.config, '--state', s.state, '--log-format', 'json', '--listen', '127.0.0.1:0']);
    const listening = await daemon.waitFor('listening', (l) => l.event === 'listening', 15_000);
    await daemon.waitFor('started', (l) => l.event === 'started', 30_000);
    const base = `http://${listening.address}`;
    const metrics = await fetch(`${base}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(await metrics.text()).toMatch(/^docker_watchdog_last_full_pass_timestamp_seconds \d/m);
    expect((await fetch(`${base}/other`)).status).toBe(404);
    expect((await fetch(`${base}/metrics`, { method: 'POST', body: 'x' })).status).toBe(405);
    expect((await daemon.stop()).code).toBe(143);
  });
});

describe('watchdog watch through an engine outage', () => {
  let outage: TestEngine;
  beforeAll(async () => {
    outage = await startEngine('watch-outage', 512);
  });
  afterAll(async () => {
    await outage?.stop();
  });

  it('keeps running while dockerd is away for 20 s, says so once, and rotates a log that crossed the limit meanwhile', async () => {
    const dir = `${outage.dir}/watch`;
    mkdirSync(dir, { recursive: true });
    const s: Setup = { dir, config: `${dir}/watchdog.yaml`, state: `${dir}/state.db`, archiveDir: `${dir}/archive` };
    writeConfig(s, { maxSize: '2MB' });
    // Back by itself when dockerd is; a TERM ends it at once (dockerd waits for it).
    const app = await outage.docker.createContainer({
      Image: TEST_IMAGE,
      name: 'watch-outage-app',
      Cmd: ['sh', '-c', 'trap "exit 0" TERM; while true; do echo tick; sleep 1; done'],
      StopTimeout: 1,
      HostConfig: { NetworkMode: 'none', RestartPolicy: { Name: 'always' }, LogConfig: { Type: 'json-file', Config: {} } },
    });
    await app.start();
    const logPath = await logPathOf(app.id, outage);
    const daemon = await watch(s, outage.host);
    await daemon.waitFor('`watching` line of watch-outage-app', about('watching', app.id), 10_000);

    const down = Date.now();
    await stopDockerd('watch-outage');
    const lost = await daemon.waitFor('`engine-lost` line', (l) => l.event === 'engine-lost', 15_000);
    console.log(`watch: engine-lost ${daemon.arrivals[daemon.lines.indexOf(lost)]! - down} ms after dockerd was told to stop`);
    // The log crosses the limit while the engine is away: lines as the engine writes them.
    let appended = 0;
    while (statSync(logPath).size < 2_500_000) {
      const time = new Date().toISOString();
      const chunk = Array.from({ length: 5000 }, () => `{"log":"outage-line ${appended++}\\n","stream":"stdout","time":"${time}"}\n`).join('');
      appendFileSync(logPath, chunk);
    }
    await sleep(Math.max(0, down + 20_000 - Date.now()));
    expect(daemon.running(), daemon.transcript()).toBe(true);
    await startDockerd('watch-outage');
    const up = Date.now();

    // Reconnecting waits at most 30 s between tries.
    const back = await daemon.waitFor('`engine-back` line', (l) => l.event === 'engine-back', 45_000);
    console.log(`watch: engine-back ${daemon.arrivals[daemon.lines.indexOf(back)]! - up} ms after dockerd was up again`);
    const rotated = await daemon.waitFor('`rotated` line of watch-outage-app', about('rotated', app.id), 20_000);
    expect(daemon.lines.indexOf(rotated)).toBeGreaterThan(daemon.lines.indexOf(back));
    expect(daemon.lines.filter((l) => l.event === 'engine-lost')).toHaveLength(1);
    expect(daemon.lines.filter((l) => l.event === 'engine-back')).toHaveLength(1);
    expect(daemon.lines.indexOf(back)).toBeGreaterThan(daemon.lines.indexOf(lost));
    // Every line written while the engine was away is in the archive, once.
    const archived = gunzipSync(readFileSync(rotated.archive)).toString();
    expect(archived.match(/"log":"outage-line \d+\\n"/g) ?? []).toHaveLength(appended);
    expect(daemon.running(), daemon.transcript()).toBe(true);
    expect(await daemon.stop()).toEqual({ code: 143, signal: null });
  });
});

// A sanity check of this file's own line checker: it must see a lost, a doubled and a
// cut line, or the first test above could not fail.
describe('checkSeq', () => {
  const line = (n: number | string, newline = true) => `{"log":"${n}${newline ? '\\n' : ''}","stream":"stdout","time":"2024-01-01T00:00:00.000000000Z"}\n`;
  const file = (name: string, ...lines: string[]) => ({ name, data: Buffer.from(lines.join('')) });
  it('finds loss, doubles, NUL bytes and cut lines', () => {
    expect(checkSeq([file('a', line(1), line(2)), file('b', line(3), line(4, false))])).toEqual({ count: 3, problem: null });
    expect(checkSeq([file('a', line(1), line(2)), file('b', line(4))]).problem).toMatch(/lines lost/);
    expect(checkSeq([file('a', line(1), line(2)), file('b', line(2))]).problem).toMatch(/a line twice/);
    expect(checkSeq([file('a', line(1), '\0\0\0', line(2))]).problem).toMatch(/NUL/);
    expect(checkSeq([file('a', line(1), line(2).slice(0, 20))]).problem).toMatch(/middle of a line/);
    expect(checkSeq([file('a', line(1), line(2, false)), file('b', line(3))]).problem).toMatch(/unfinished/);
  });
});
