// Issue #9, defects 7 and 12, on the shared test engine: a configuration that names an
// unusable archive directory (a file, or a folder inside the engine's actual
// DockerRootDir) is refused with the key named; protect patterns match whole image
// references, registry ports and all; a log capped above a share of the disk is a
// finding (LOG_LIMIT_TOO_BIG).

import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { AUDIT_OFF, reportJson, runWatchdog } from '../helpers/cli.js';
import { engineNamed, ENGINES_DIR, runContainer, TEST_IMAGE, type TestEngine } from '../helpers/engine.js';

let engine: TestEngine;
let work: string;
let dockerRootDir: string;

/** A configuration file of its own for each run. */
const configFile = (text: string): string => {
  const path = join(work, `config-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(path, AUDIT_OFF + text);
  return path;
};
/** A state store of its own: the shared engine's store is other test files' too. */
const state = () => join(work, `state-${Math.random().toString(36).slice(2)}.db`);

beforeAll(async () => {
  engine = engineNamed(inject('sharedEngineName'));
  mkdirSync(ENGINES_DIR, { recursive: true });
  work = mkdtempSync(join(ENGINES_DIR, 'hostile-config-'));
  dockerRootDir = (await engine.docker.info()).DockerRootDir as string;
});

describe('logs.archiveDir (issue #9, defect 7)', () => {
  it('refuses a file, in config check and in a run, naming the key', async () => {
    const cfg = configFile('logs:\n  archiveDir: /etc/passwd\n');
    for (const args of [['config', 'check', cfg], ['rotate', '--dry-run', '-c', cfg, '--host', engine.host, '--state', state()]]) {
      const { code, stdout, stderr } = await runWatchdog(args);
      expect(stdout).toBe('');
      expect(stderr).toBe(`watchdog: The configuration ${cfg} has 1 problem:\n  logs.archiveDir: "/etc/passwd" exists and is not a directory; name a directory\n`);
      expect(code).toBe(78);
    }
  });

  it("refuses a folder inside the engine's actual DockerRootDir, in config check (asking the engine) and in rotate and prune", async () => {
    const archiveDir = `${dockerRootDir}/containers`;
    const cfg = configFile(`logs:\n  archiveDir: ${archiveDir}\n`);
    const before = readdirSync(archiveDir).sort();
    const expected = `watchdog: logs.archiveDir "${archiveDir}" is inside ${dockerRootDir}, this engine's DockerRootDir; name a directory outside it, e.g. /var/lib/docker-watchdog/archive.\n`;
    for (const args of [['config', 'check', cfg, '--host', engine.host], ['rotate', '-c', cfg, '--host', engine.host, '--state', state()], ['prune', '-c', cfg, '--host', engine.host, '--state', state()]]) {
      const { code, stdout, stderr } = await runWatchdog(args);
      expect({ args: args[0], code, stdout, stderr }).toEqual({ args: args[0], code: 78, stdout: '', stderr: expected });
    }
    // Nothing was written among the engine's own folders.
    expect(readdirSync(archiveDir).sort()).toEqual(before);
    // A directory outside it is fine.
    const usable = configFile(`logs:\n  archiveDir: ${work}/archive\n`);
    expect(await runWatchdog(['config', 'check', usable, '--host', engine.host])).toEqual({ code: 0, stdout: `${usable}: OK\n`, stderr: '' });
  });
});

describe('containers.exited.protect against real image references (issue #9, defect 12)', () => {
  const tagged = {
    'registry.local:5000/team/postgres': '15',
    'library/postgres': '16-alpine',
    'localhost:5000/postgres': 'latest',
    'registry.local:5000/team/redis': '7',
  };
  const ids: Record<string, string> = {};

  afterAll(async () => {
    for (const id of Object.values(ids)) await engine.docker.getContainer(id).remove({ force: true });
    for (const [repo, tag] of Object.entries(tagged)) await engine.docker.getImage(`${repo}:${tag}`).remove();
  });

  beforeAll(async () => {
    const image = engine.docker.getImage(TEST_IMAGE);
    for (const [repo, tag] of Object.entries(tagged)) await image.tag({ repo, tag });
    for (const [i, [repo, tag]] of Object.entries(tagged).entries()) {
      // Names that match no pattern: only the image can protect them.
      const name = `protect-${i}-${Math.random().toString(36).slice(2, 6)}`;
      const container = await engine.docker.createContainer({ Image: `${repo}:${tag}`, name, Cmd: ['true'], HostConfig: { NetworkMode: 'none' } });
      await container.start();
      await container.wait();
      ids[`${repo}:${tag}`] = container.id;
    }
    await sleep(1500);
  });

  it('keeps every exited container whose image matches *postgres*, registry port and all, and only those', async () => {
    // The containers were created from these references: Config.Image is what protect matches.
    for (const [reference, id] of Object.entries(ids)) expect((await engine.docker.getContainer(id).inspect()).Config.Image).toBe(reference);
    const cfg = configFile(`logs:\n  archiveDir: ${work}/archive\ncontainers:\n  exited:\n    maxAge: 1s\n    keepLast: 0\n    protect: ["*postgres*"]\n`);
    const { code, stdout, stderr } = await runWatchdog(['prune', '--dry-run', '--json', '-c', cfg, '--host', engine.host, '--state', state()]);
    expect(stderr).toBe('');
    expect([0, 1, 2]).toContain(code); // other test files' containers may be suspicious
    const plan = new Map(JSON.parse(stdout).plan.map((i: { containerId: string }) => [i.containerId, i]));
    const codeOf = (reference: string) => (plan.get(ids[reference]!) as { code: string; reason: string }).code;
    expect(Object.keys(ids).map((r) => `${r}: ${codeOf(r)}`)).toEqual([
      'registry.local:5000/team/postgres:15: protect-pattern',
      'library/postgres:16-alpine: protect-pattern',
      'localhost:5000/postgres:latest: protect-pattern',
      'registry.local:5000/team/redis:7: old-enough',
    ]);
    expect(plan.get(ids['registry.local:5000/team/postgres:15']!)).toEqual(expect.objectContaining({ action: 'keep', reason: 'kept: protected by pattern "*postgres*"' }));
  });
});

describe('LOG_LIMIT_TOO_BIG (issue #9, defect 12)', () => {
  it('flags max-size=10k with max-file=100000, a cap larger than the whole data-root', async () => {
    const id = await runContainer(engine.docker, { name: `log-limit-${Math.random().toString(36).slice(2, 6)}`, cmd: ['sleep', '600'], detach: true, logOpts: { 'max-size': '10k', 'max-file': '100000' } });
    try {
      const { report } = await reportJson(engine.host, ['--state', state()]);
      const total = report.storage.data.totalBytes as number;
      expect(total).toBeLessThan(1_000_000_000); // the shared engine's small loop-mounted filesystem
      expect(report.findings.filter((f: { containerId?: string }) => f.containerId === id)).toEqual([
        expect.objectContaining({
          code: 'LOG_LIMIT_TOO_BIG',
          severity: 'warning',
          message: expect.stringMatching(/^log-limit-\w+: json-file log may grow to 1 GB \(max-size 10 kB x max-file 100,000\), more than 25% of the [\d.]+ MB space under .+; re-create it with a smaller --log-opt max-size or max-file$/),
        }),
      ]);
    } finally {
      await engine.docker.getContainer(id).remove({ force: true });
    }
  });
});
