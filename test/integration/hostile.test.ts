// Hostile input against a real engine (issue #9, defects 8, 9, 10): containers that
// label themselves out of drift checking, files named with control characters, names
// of 250 characters. Each is held (or rotated) with its evidence, and nothing raw
// reaches the terminal.

import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_OFF, runWatchdog, type CliResult } from '../helpers/cli.js';
import { runContainer, startEngine, type TestEngine } from '../helpers/engine.js';

let engine: TestEngine;
let state: string;
let config: string;
let archiveDir: string;
const ids: Record<string, string> = {};

/** Every byte a terminal acts on: C0 but the line feed ending each line, DEL, C1. */
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;
const LONG_RUNNING = 'r'.repeat(250);
const LONG_EXITED = 'x'.repeat(250);
// The intrusion every labelled container commits: passwd replaced twice over.
const INTRUDE = 'echo "evil::0:0::/:/bin/sh" >> /etc/passwd && printf "#!/bin/sh\\necho stolen\\n" > /usr/bin/passwd && echo x > /tmp/scratch';
const LABELS: Record<string, string> = { 'label-all': '/**', 'label-any': '**', 'label-negated': '!/nothing/**', 'label-glob': '/[eu]*/**' };

const watchdog = (...args: string[]) => runWatchdog([...args, '--host', engine.host, '--state', state, '-c', config]);
const names = async () => (await engine.docker.listContainers({ all: true })).map((c) => c.Names[0]!.slice(1)).sort();

beforeAll(async () => {
  engine = await startEngine('hostile', 512);
  state = `${engine.dir}/state.db`;
  archiveDir = `${engine.dir}/archive`;
  config = `${engine.dir}/hostile.yaml`;
  writeFileSync(config, [AUDIT_OFF + 'containers:', '  exited: { maxAge: 1s, keepLast: 0 }', 'logs:', `  archiveDir: ${archiveDir}`, '  maxSize: 1MB', ''].join('\n'));
  for (const [name, glob] of Object.entries(LABELS)) ids[name] = await runContainer(engine.docker, { name, cmd: ['sh', '-c', INTRUDE], labels: { 'watchdog.drift.allow': glob } });
  // Files named with a newline, a CR and ESC sequences, under /root and /tmp.
  const touch = ["/root/a\\nb", "/root/c\\rd", "/root/e\\033[31mf", "/root/g\\033]0;pwned\\007h", "/tmp/i\\nj", "/tmp/k\\rl", "/tmp/m\\033[2Jn"].map((p) => `"$(printf '${p}')"`).join(' ');
  ids.paths = await runContainer(engine.docker, { name: 'paths', cmd: ['sh', '-c', `touch ${touch}`] });
  await sleep(1500);
});

afterAll(async () => {
  await engine?.stop();
});

describe('a container cannot whitelist its own intrusion (defect 8)', () => {
  it('ignores label globs that could reach a system path or negate, with a DRIFT_LABEL_IGNORED finding each, in drift and prune', async () => {
    const drift = await watchdog('drift', ...Object.keys(LABELS), '--dry-run', '--json');
    expect(drift.code).toBe(2);
    const out = JSON.parse(drift.stdout);
    for (const c of out.containers) {
      expect(c.drift, c.name).toMatchObject({ status: 'suspicious', labelIgnored: [LABELS[c.name]] });
      expect(c.drift.critical.map((x: any) => x.path).sort(), c.name).toEqual(['/etc/passwd', '/usr/bin/passwd']);
    }
    const prune = await watchdog('prune', '--dry-run', '--json');
    const plan = Object.fromEntries(JSON.parse(prune.stdout).plan.map((i: any) => [i.name, i]));
    for (const name of Object.keys(LABELS)) expect(plan[name], name).toMatchObject({ action: 'hold', code: 'drift-suspicious' });
    for (const findings of [out.findings, JSON.parse(prune.stdout).findings]) {
      for (const name of Object.keys(LABELS)) {
        expect(findings).toContainEqual(expect.objectContaining({ code: 'DRIFT_SUSPICIOUS', severity: 'critical', containerId: ids[name] }));
        expect(findings).toContainEqual(expect.objectContaining({ code: 'DRIFT_LABEL_IGNORED', severity: 'warning', containerId: ids[name], subject: name, message: expect.stringContaining(`"${LABELS[name]}"`) }));
      }
    }
  });

  it('holds every labelled intruder with a bundle in check, where it removed them', async () => {
    const { code, stdout, stderr } = await watchdog('check', '--json');
    expect(stderr).toBe('');
    expect(code).toBe(2);
    const out = JSON.parse(stdout);
    expect(await names()).toEqual([...Object.keys(LABELS), 'paths'].sort());
    const results = Object.fromEntries(out.prune.results.map((r: any) => [r.name, r]));
    for (const name of Object.keys(LABELS)) {
      expect(results[name], name).toMatchObject({ outcome: 'held', bundle: expect.stringContaining(`${archiveDir}/forensics/${name}-`) });
      expect(existsSync(join(results[name].bundle, 'changed-files.tar'))).toBe(true);
      expect(out.findings).toContainEqual(expect.objectContaining({ code: 'DRIFT_SUSPICIOUS', severity: 'critical', containerId: ids[name] }));
      expect(out.findings).toContainEqual(expect.objectContaining({ code: 'DRIFT_LABEL_IGNORED', containerId: ids[name] }));
    }
  });
});

describe('hostile paths (defect 9)', () => {
  it('rates a changed /root/a<newline>b critical, and allows /tmp files named with control characters', async () => {
    const { code, stdout } = await watchdog('drift', 'paths', '--dry-run', '--json');
    expect(code).toBe(2);
    const [row] = JSON.parse(stdout).containers;
    // JSON keeps the raw paths.
    expect(row.drift.critical.map((c: any) => c.path).sort()).toEqual(['/root/a\nb', '/root/c\rd', '/root/e\u001b[31mf', '/root/g\u001b]0;pwned\u0007h']);
    expect(row.drift.outside.filter((c: any) => c.path.startsWith('/tmp/'))).toEqual([]);
  });

  it('shows every path escaped in the text of drift, prune --dry-run and check --dry-run', async () => {
    const outputs: CliResult[] = [await watchdog('drift', 'paths', '--dry-run'), await watchdog('prune', '--dry-run'), await watchdog('check', '--dry-run')];
    for (const { stdout } of outputs) {
      expect(stdout).toMatch(/^paths +.*changes to system paths: /m);
      expect(stdout).not.toMatch(RAW_CONTROL);
    }
    const drift = outputs[0]!.stdout;
    expect(drift.split('\n')[1]).toMatch(/^paths +suspicious +changes to system paths: (A \/root\/(a\\nb|c\\rd|e\\x1b\[31mf|g\\x1b\]0;pwned\\x07h)(, |$| and 1 more)){3}/);
  });
});

describe('long names (defect 10)', () => {
  beforeAll(async () => {
    ids.longExited = await runContainer(engine.docker, { name: LONG_EXITED, cmd: ['sh', '-c', 'echo x >> /etc/passwd'] });
    // About 3.5 MB of log, no max-size: over logs.maxSize 1 MB, so check rotates it.
    ids.longRunning = await runContainer(engine.docker, { name: LONG_RUNNING, cmd: ['sh', '-c', 'yes a-line-of-log | head -n 50000; exec sleep 600'], detach: true });
    await sleep(2000);
  });

  it('cuts a 250-character name in a table with an ellipsis', async () => {
    const dry = await watchdog('prune', '--dry-run');
    expect(dry.stdout).toContain(`${'x'.repeat(39)}…  `);
    expect(dry.stdout).not.toContain('x'.repeat(41));
  });

  it('writes the forensic bundle of a 250-character exited container in drift', async () => {
    const { code, stdout } = await watchdog('drift', LONG_EXITED, '--json');
    expect(code).toBe(2);
    const out = JSON.parse(stdout);
    expect(out.findings.filter((f: any) => f.code === 'ACTION_FAILED')).toEqual([]);
    expect(basename(out.containers[0].bundle)).toMatch(new RegExp(`^${'x'.repeat(64)}-${ids.longExited!.slice(0, 12)}-\\d{4}-`));
    expect(readdirSync(out.containers[0].bundle).sort()).toEqual(['changed-files.tar', 'changes.json', 'inspect.json', 'log']);
  });

  it('rotates the log of a running container with a 250-character name, and bundles and holds a 250-character exited one', async () => {
    const { code, stdout, stderr } = await watchdog('check', '--json');
    expect(stderr).toBe('');
    expect(code).toBe(2); // the held intruder, not a crash (3)
    const out = JSON.parse(stdout);
    const rotated = out.rotation.results.find((r: any) => r.containerId === ids.longRunning);
    expect(rotated).toMatchObject({ outcome: 'done' });
    expect(basename(join(rotated.archive, '..'))).toBe(`${'r'.repeat(64)}-${ids.longRunning!.slice(0, 12)}`);
    expect(existsSync(rotated.archive)).toBe(true);

    const held = out.prune.results.find((r: any) => r.containerId === ids.longExited);
    expect(held).toMatchObject({ outcome: 'held', bundle: expect.stringContaining(`${archiveDir}/forensics/${'x'.repeat(64)}-${ids.longExited!.slice(0, 12)}-`) });
    expect(readdirSync(held.bundle).sort()).toEqual(['changed-files.tar', 'changes.json', 'inspect.json', 'log']);
    expect(out.findings.filter((f: any) => f.code === 'ACTION_FAILED')).toEqual([]);
  });
});
