// Shell edge cases of collection that a real engine will not produce on demand: a
// collector that fails, a container removed mid-run, an engine that goes away.

import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { collectSnapshot } from '../../src/collect/index.js';
import { evaluate } from '../../src/core/evaluate.js';
import { exitCodeOf } from '../../src/core/outcome.js';
import { DEFAULTS } from '../helpers/policy.js';
import { EngineRequestError, type EngineClient } from '../../src/engine/client.js';
import { EngineUnreachableError } from '../../src/errors.js';
import { settleMemory, type Run } from '../../src/pipeline/run.js';
import type { ExitedFacts, LogFiles } from '../../src/core/model.js';
import { security } from '../helpers/facts.js';
import { openingInTurn } from '../helpers/opening.js';

const now = new Date('2026-11-28T12:00:00Z');

function fakeEngine(overrides: Partial<EngineClient> = {}): EngineClient {
  const client: EngineClient = {
    address: { kind: 'unix', url: 'unix:///fake.sock', socketPath: '/fake.sock' },
    ping: async () => {},
    info: async () => ({ ServerVersion: '20.10.24', Driver: 'overlay2', DriverStatus: [], DockerRootDir: '/nonexistent/docker' }),
    apiVersion: () => '1.41',
    systemDf: async () => ({ LayersSize: 0, Images: [], Containers: [{ Id: 'c1', State: 'running', SizeRw: 10 }], Volumes: [], BuildCache: [] }),
    listContainers: async () => [
      { Id: 'c1', Names: ['/web'], Image: 'nginx', State: 'running' },
      { Id: 'gone', Names: ['/gone'], Image: 'nginx', State: 'exited' },
    ],
    inspectContainer: async (id) =>
      id === 'gone'
        ? null
        : { Id: id, Name: '/web', State: { Status: 'running', FinishedAt: '0001-01-01T00:00:00Z' }, HostConfig: { LogConfig: { Type: 'json-file', Config: { 'max-size': '10m' } } }, LogPath: `/nonexistent/docker/containers/${id}/${id}-json.log` },
    containerChanges: async () => [],
    containerArchive: async () => {
      throw new Error('not used');
    },
    containerPathStat: async () => null,
    removeContainer: async () => {},
    pauseContainer: async () => {},
    unpauseContainer: async () => {},
    containerEvents: async () => {
      throw new Error('not used');
    },
    ...overrides,
    // Last, so that a fake made from another asks its own ping, info and list.
    opening: () => openingInTurn(client),
  };
  return client;
}

describe('collectSnapshot', () => {
  it('turns a failing collector into a COLLECTOR_FAILED finding while the others still report', async () => {
    const engine = fakeEngine({
      systemDf: async () => {
        throw new EngineRequestError('The engine answered 500 to GET /system/df: a disk usage operation is already running', 500);
      },
    });
    const { snapshot, timings } = await collectSnapshot(engine, { now, env: {} });
    expect(snapshot.usage).toBeNull();
    expect(snapshot.engine).toMatchObject({ serverVersion: '20.10.24', apiVersion: '1.41', local: false });
    expect(snapshot.containers.map((c) => c.id)).toEqual(['c1']); // 'gone' was removed mid-run
    expect(snapshot.containers[0]).toMatchObject({ finishedAt: null, sizeRwBytes: null, logConfig: { bounded: true, maxSizeBytes: 10_000_000 } });
    expect(timings.find((t) => t.collector === 'usage')).toMatchObject({ ok: false });

    const findings = evaluate(snapshot, DEFAULTS);
    expect(findings).toEqual([{ code: 'COLLECTOR_FAILED', severity: 'warning', subject: 'usage', message: 'usage: The engine answered 500 to GET /system/df: a disk usage operation is already running' }]);
    expect(exitCodeOf({ findings })).toBe(3);
  });

  it('reports storage as not collected when the engine facts are missing', async () => {
    const engine = fakeEngine({
      info: async () => {
        throw new EngineRequestError('The engine answered 500 to GET /info: boom', 500);
      },
    });
    const { snapshot } = await collectSnapshot(engine, { now, env: {} });
    expect(snapshot.engine).toBeNull();
    expect(snapshot.storage).toBeNull();
    expect(snapshot.failures.map((f) => f.collector)).toEqual(['engine', 'storage']);
    expect(snapshot.containers).toHaveLength(1);
  });

  it('ends the run when the engine cannot be reached at all', async () => {
    const engine = fakeEngine({
      listContainers: async () => {
        throw new EngineUnreachableError('Cannot reach the Docker engine at unix:///fake.sock (ECONNREFUSED).');
      },
    });
    await expect(collectSnapshot(engine, { now, env: {} })).rejects.toBeInstanceOf(EngineUnreachableError);
  });
});

describe('a readable DockerRootDir that may not be this engine', () => {
  // A folder laid out as an engine's data-root, with containers of another engine.
  const root = mkdtempSync(join(tmpdir(), 'wd-foreign-'));
  const foreign = ['a', 'b', 'c', 'd'].map((c) => c.repeat(64));
  for (const id of foreign) {
    mkdirSync(join(root, 'containers', id), { recursive: true });
    writeFileSync(join(root, 'containers', id, 'config.v2.json'), '{}');
  }
  const inspected: string[] = [];
  const remote = (active: Array<{ Id: string; State: string }>, all: Array<{ Id: string; State: string }>) =>
    fakeEngine({
      info: async () => ({ ID: 'REMOTE', ServerVersion: '26.1.5', Driver: 'overlay2', DriverStatus: [], DockerRootDir: root, Containers: all.length }),
      listContainers: async (which) => (which === 'all' ? all : active),
      inspectContainer: async (id) => {
        inspected.push(id);
        const known = all.find((c) => c.Id === id);
        return known ? { Id: id, Name: `/${id.slice(0, 4)}`, State: { Status: known.State, FinishedAt: '2026-11-27T00:00:00Z' } } : null;
      },
    });

  it('is not taken for the engine when none of its active containers is in it', async () => {
    const running = { Id: 'e'.repeat(64), State: 'running' };
    const { snapshot } = await collectSnapshot(remote([running], [running]), { now, env: {} });
    expect(snapshot.engine).toMatchObject({ local: false });
    expect(snapshot.containers.map((c) => c.id)).toEqual([running.Id]);
    expect(snapshot.storage?.data).toBeNull(); // never this host's disk as the remote's
  });

  it('is not taken for the engine when, with nothing active, the engine knows none of a few of its folders', async () => {
    inspected.length = 0;
    const exited = { Id: 'f'.repeat(64), State: 'exited' };
    const { snapshot } = await collectSnapshot(remote([], [exited]), { now, env: {} });
    expect(snapshot.engine).toMatchObject({ local: false });
    expect(snapshot.containers.map((c) => c.id)).toEqual([exited.Id]);
    // Three probes of the folder, then the engine's own list: not one inspect per folder.
    expect(inspected.filter((id) => foreign.includes(id))).toHaveLength(3);
  });

  it("is the engine's when the engine knows what is in it", async () => {
    const exited = foreign.map((Id) => ({ Id, State: 'exited' }));
    const { snapshot } = await collectSnapshot(remote([], exited), { now, env: {} });
    expect(snapshot.engine).toMatchObject({ local: true });
    expect(snapshot.containers.map((c) => c.id).sort()).toEqual(foreign);
  });

  it('is not taken for the engine when it is empty and the engine has containers', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'wd-empty-'));
    mkdirSync(join(empty, 'containers'));
    const running = { Id: 'e'.repeat(64), State: 'running' };
    const client = fakeEngine({
      info: async () => ({ ID: 'REMOTE', ServerVersion: '26.1.5', Driver: 'overlay2', DriverStatus: [], DockerRootDir: empty, Containers: 1 }),
      listContainers: async () => [running],
      inspectContainer: async (id) => ({ Id: id, Name: '/r', State: { Status: 'running', FinishedAt: '0001-01-01T00:00:00Z' } }),
    });
    const { snapshot } = await collectSnapshot(client, { now, env: {} });
    expect(snapshot.engine).toMatchObject({ local: false });
  });
});

describe('a warm run on a local engine (issue #14)', () => {
  it("takes a running container's inspect facts from the cache while its token holds, with the state the engine lists now", async () => {
    const root = mkdtempSync(join(tmpdir(), 'wd-warm-'));
    const id = '5'.repeat(64);
    mkdirSync(join(root, 'containers', id), { recursive: true });
    writeFileSync(join(root, 'containers', id, 'config.v2.json'), '{}');
    const inspected: string[] = [];
    const client = fakeEngine({
      info: async () => ({ ID: 'LOCAL', ServerVersion: '20.10.24', Driver: 'overlay2', DriverStatus: [], DockerRootDir: root, Containers: 1 }),
      listContainers: async () => [{ Id: id, Names: ['/web'], Image: 'nginx', State: 'paused' }],
      inspectContainer: async (which) => {
        inspected.push(which);
        return { Id: which, Name: '/web', State: { Status: 'paused', FinishedAt: '0001-01-01T00:00:00Z' } };
      },
    });
    const cached = { id, name: 'web', image: 'nginx', state: 'running', finishedAt: null, createdAt: null, labels: {}, logConfig: { driver: 'json-file', bounded: false }, logPath: null, readonlyRootfs: false, security: security() } as unknown as ExitedFacts;
    let token = '';
    // The lookups are made in one read of the store.
    let reading = false;
    const cache = {
      lookup: (which: string, changeToken: string) => {
        expect(reading).toBe(true);
        token = changeToken;
        return which === id ? { facts: structuredClone(cached), footprint: { bytes: 9, inodes: 9 }, logFiles: { bytes: 9 } as unknown as LogFiles } : null;
      },
      inOneRead: <T>(work: () => T) => {
        reading = true;
        try {
          return work();
        } finally {
          reading = false;
        }
      },
    };
    const { snapshot, timings } = await collectSnapshot(client, { now, env: {}, exitedCache: () => cache });
    expect(inspected).toEqual([]);
    expect(snapshot.containers).toEqual([expect.objectContaining({ id, name: 'web', state: 'paused', footprint: null, changeToken: token })]);
    // Its log is measured afresh (there is none here), never taken from the cache.
    expect(snapshot.containers[0]!.logFiles).not.toEqual({ bytes: 9 });
    expect(timings.find((t) => t.collector === 'containers')).toMatchObject({ measured: 0, cached: 1 });
    // Once its token changes (the engine rewrote config.v2.json), it is inspected again.
    writeFileSync(join(root, 'containers', id, 'config.v2.json'), '{"changed":1}');
    const after = await collectSnapshot(client, { now, env: {}, exitedCache: () => ({ lookup: (which, changeToken) => (changeToken === token ? cache.lookup(which, changeToken) : null), inOneRead: cache.inOneRead }) });
    expect(inspected).toEqual([id]);
    expect(after.snapshot.containers[0]).toMatchObject({ state: 'paused' });
    // A row answers only for the kind of container it was written for: an exited one's
    // for a container listed as active, or an active one's for a container the engine
    // did not list as active, is inspected again.
    const answering = (state: string) => ({ lookup: () => ({ facts: { ...structuredClone(cached), state }, footprint: null, logFiles: null }), inOneRead: <T>(work: () => T) => work() });
    inspected.length = 0;
    await collectSnapshot(client, { now, env: {}, exitedCache: () => answering('exited') });
    expect(inspected).toEqual([id]);
    const idle = fakeEngine({ ...client, listContainers: async () => [] });
    inspected.length = 0;
    const unlisted = await collectSnapshot(idle, { now, env: {}, exitedCache: () => answering('running') });
    expect(inspected).toEqual([id]);
    expect(unlisted.snapshot.containers[0]).toMatchObject({ state: 'paused' });
  });
});

describe('a cold scan of a local engine (issue #14)', () => {
  it('walks each exited container as its inspect comes in, counts one that fails once, and reports how far it is', async () => {
    const root = mkdtempSync(join(tmpdir(), 'wd-cold-'));
    const ids = ['1', '2', '3'].map((c) => c.repeat(64));
    for (const id of ids) {
      mkdirSync(join(root, 'containers', id), { recursive: true });
      writeFileSync(join(root, 'containers', id, 'config.v2.json'), '{}');
      mkdirSync(join(root, 'image', 'overlay2', 'layerdb', 'mounts', id), { recursive: true });
    }
    // The third one's layer id leads through a file: its walk fails (ENOTDIR).
    writeFileSync(join(root, 'image', 'overlay2', 'layerdb', 'mounts', ids[2]!, 'mount-id'), `../containers/${ids[2]}/config.v2.json/x`);
    const client = fakeEngine({
      info: async () => ({ ID: 'LOCAL', ServerVersion: '20.10.24', Driver: 'overlay2', DriverStatus: [], DockerRootDir: root, Containers: 3 }),
      listContainers: async () => [],
      inspectContainer: async (id) => ({ Id: id, Name: `/c${id[0]}`, Created: '2026-11-27T00:00:00Z', State: { Status: 'exited', FinishedAt: '2026-11-27T00:00:01Z' } }),
      systemDf: async () => ({ LayersSize: 0, Images: [], Containers: [], Volumes: [], BuildCache: [] }),
    });
    const progress: string[] = [];
    const { snapshot, timings } = await collectSnapshot(client, { now, env: {}, progress: (step, done, total) => progress.push(`${step} ${done}/${total}`) });
    expect(snapshot.engine).toMatchObject({ local: true });
    const footprints = Object.fromEntries(snapshot.containers.map((c) => [c.id, c.footprint]));
    expect(footprints[ids[0]!]?.inodes).toBeGreaterThan(1);
    expect(footprints[ids[1]!]?.inodes).toBeGreaterThan(1);
    expect(footprints[ids[2]!]).toBeNull();
    expect(timings.find((t) => t.collector === 'footprint')).toMatchObject({ ok: true, measured: 3, cached: 0 });
    expect(snapshot.failures.filter((f) => f.collector === 'footprint')).toEqual([{ collector: 'footprint', message: expect.stringMatching(/^1 of 3 failed, first: ENOTDIR/) }]);
    expect(progress.filter((p) => p.startsWith('inspecting'))).toEqual(['inspecting 1/3', 'inspecting 2/3', 'inspecting 3/3']);
  });

  it("reads a finished container from the engine's files instead of inspecting it, and inspects one whose files it cannot read", async () => {
    const root = mkdtempSync(join(tmpdir(), 'wd-files-'));
    const fixture = (file: string) => readFileSync(new URL(`../fixtures/container-files/20.10/exited/${file}`, import.meta.url), 'utf8');
    const inspect = JSON.parse(fixture('inspect.json'));
    const unreadable = '7'.repeat(64);
    mkdirSync(join(root, 'containers', inspect.Id), { recursive: true });
    writeFileSync(join(root, 'containers', inspect.Id, 'config.v2.json'), fixture('config.v2.json'));
    writeFileSync(join(root, 'containers', inspect.Id, 'hostconfig.json'), fixture('hostconfig.json'));
    mkdirSync(join(root, 'containers', unreadable), { recursive: true });
    writeFileSync(join(root, 'containers', unreadable, 'config.v2.json'), '{"ID":');
    // Left from before a change of storage driver: whole files, but the engine does not
    // load it and answers 404 (issue #14's review).
    const otherDriver = '8'.repeat(64);
    mkdirSync(join(root, 'containers', otherDriver), { recursive: true });
    writeFileSync(join(root, 'containers', otherDriver, 'config.v2.json'), JSON.stringify({ ...JSON.parse(fixture('config.v2.json')), ID: otherDriver, Driver: 'devicemapper' }));
    writeFileSync(join(root, 'containers', otherDriver, 'hostconfig.json'), fixture('hostconfig.json'));
    const inspected: string[] = [];
    const client = fakeEngine({
      info: async () => ({ ID: 'LOCAL', ServerVersion: '20.10.24', Driver: 'overlay2', DriverStatus: [], DockerRootDir: root, Containers: 2 }),
      listContainers: async () => [],
      inspectContainer: async (id) => {
        inspected.push(id);
        if (id === otherDriver) return null;
        return id === unreadable ? { Id: id, Name: '/half-written', State: { Status: 'exited', FinishedAt: '2026-11-27T00:00:01Z' } } : inspect;
      },
      systemDf: async () => ({ LayersSize: 0, Images: [], Containers: [], Volumes: [], BuildCache: [] }),
    });
    const progress: string[] = [];
    const { snapshot, timings } = await collectSnapshot(client, { now, env: {}, progress: (step, done, total) => progress.push(`${step} ${done}/${total}`) });
    // The one with readable files was asked about only to know the folder is this
    // engine's (holdsThisEngine asks about a few when none is running).
    const asked = inspected.filter((id) => id === inspect.Id).length;
    expect(inspected.filter((id) => id === unreadable)).toHaveLength(2);
    expect(inspected.filter((id) => id === otherDriver)).toHaveLength(2);
    expect(snapshot.containers.map((c) => c.id).sort()).toEqual([inspect.Id, unreadable].sort());
    expect(progress.filter((p) => !p.startsWith('measuring'))).toEqual(['reading 1/3', 'reading 2/3', 'reading 3/3', 'inspecting 1/2', 'inspecting 2/2']);
    const fromFiles = snapshot.containers.find((c) => c.id === inspect.Id)!;
    expect(fromFiles).toMatchObject({ name: 'fixture-rich', state: 'exited', readonlyRootfs: true, logConfig: { bounded: true } });
    expect(snapshot.containers.find((c) => c.id === unreadable)).toMatchObject({ name: 'half-written' });
    expect(timings.find((t) => t.collector === 'containers')).toMatchObject({ measured: 3, cached: 0 });
    expect(asked).toBe(1);
  });

  it("collects garbage before parsing a big docker system df answer, not a small one (issue #14)", async () => {
    const collections = async (bytes: number) => {
      let count = 0;
      const client = fakeEngine({ listContainers: async () => [], systemDf: async (answered) => (answered?.(bytes), { LayersSize: 0, Images: [], Containers: [], Volumes: [], BuildCache: [] }) });
      await collectSnapshot(client, { now, env: {}, collectGarbage: () => void count++ });
      return count;
    };
    expect(await collections(7_100_000)).toBe(1);
    expect(await collections(900_000)).toBe(0);
  });

  it('collects garbage every 500 inspects of a long scan, and not on a short one (issue #14)', async () => {
    const listed = (n: number) => async () => Array.from({ length: n }, (_, i) => ({ Id: `c${i}`, Names: [`/job-${i}`], Image: 'busybox', State: 'exited' }));
    const inspectContainer = async (id: string) => ({ Id: id, Name: `/${id}`, State: { Status: 'exited', FinishedAt: '2026-11-27T00:00:01Z' } });
    const collections = async (n: number) => {
      let count = 0;
      const { snapshot } = await collectSnapshot(fakeEngine({ listContainers: listed(n), inspectContainer }), { now, env: {}, collectGarbage: () => void count++ });
      expect(snapshot.containers).toHaveLength(n);
      return count;
    };
    expect(await collections(1200)).toBe(2);
    expect(await collections(499)).toBe(0);
  });

  it('collects garbage between the steps of a run only from 2,000 containers (issue #14)', () => {
    let count = 0;
    const run = { io: { collectGarbage: () => void count++ } } as unknown as Run;
    settleMemory(run, 1999);
    expect(count).toBe(0);
    settleMemory(run, 2000);
    expect(count).toBe(1);
    // An Io without it (the tests' own) is left alone.
    settleMemory({ io: {} } as unknown as Run, 10_000);
  });
});
