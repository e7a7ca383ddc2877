// A finished container's facts from the engine's files (collect/container-files.ts,
// issue #14), against the files and the inspect of the same containers on engine 20.10
// (test/fixtures/container-files); test/integration/container-files.test.ts does the
// same on every engine the CI runs.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { inspectFromFiles } from '../../src/collect/container-files.js';
import { containerFacts } from '../../src/collect/containers.js';
import type { ContainerFacts } from '../../src/core/model.js';

/** The engine the fixtures come from runs overlay2 (`docker info`'s Driver). */
const DRIVER = 'overlay2';
const fixture = (kind: string, file: string) => JSON.parse(readFileSync(new URL(`../fixtures/container-files/20.10/${kind}/${file}`, import.meta.url), 'utf8'));
const files = (kind: string) => ({ config: fixture(kind, 'config.v2.json'), hostConfig: fixture(kind, 'hostconfig.json'), inspect: fixture(kind, 'inspect.json') });
/** The binds in one order: an inspect lists mount points in a Go map's random order. */
const normalized = (facts: ContainerFacts) => ({ ...facts, security: { ...facts.security, binds: [...facts.security.binds].sort((a, b) => a.destination.localeCompare(b.destination)) } });

describe("a finished container's facts from the engine's files", () => {
  it.each(['exited', 'created'])('are those of its inspect: %s', (kind) => {
    const { config, hostConfig, inspect } = files(kind);
    const fromFiles = inspectFromFiles(inspect.Id, DRIVER, config, hostConfig);
    expect(fromFiles).not.toBeNull();
    expect(normalized(containerFacts({ Id: inspect.Id }, fromFiles!, 'token'))).toEqual(normalized(containerFacts({ Id: inspect.Id }, inspect, 'token')));
  });

  it('take every fact the report and the audit use', () => {
    const { config, hostConfig, inspect } = files('exited');
    const facts = containerFacts({ Id: inspect.Id }, inspectFromFiles(inspect.Id, DRIVER, config, hostConfig)!, null);
    expect(facts).toMatchObject({
      name: 'fixture-rich',
      image: 'wdt-busybox:latest',
      state: 'exited',
      finishedAt: '2026-11-30T03:44:52.549Z',
      labels: { team: 'batch' },
      logConfig: { driver: 'json-file', maxSizeBytes: 1_000_000, maxFiles: 2, bounded: true },
      logPath: expect.stringMatching(/-json\.log$/),
      readonlyRootfs: true,
      security: { capAdd: ['NET_ADMIN'], networkMode: 'none', tmpfs: ['/run'], writableMounts: ['/data', '/vol'] },
    });
    expect(normalized(facts).security.binds).toEqual([
      { source: '/srv/wdt-fixture/data', destination: '/data', readOnly: false },
      { source: expect.stringMatching(/\/mount-ro$/), destination: '/mnt', readOnly: true },
    ]);
    const created = files('created');
    expect(containerFacts({ Id: created.inspect.Id }, inspectFromFiles(created.inspect.Id, DRIVER, created.config, created.hostConfig)!, null)).toMatchObject({ state: 'created', finishedAt: null, security: { privileged: true, pidMode: 'host' } });
  });

  it('are left to an inspect for a container in motion, or files this does not know', () => {
    const { config, hostConfig, inspect } = files('exited');
    const state = (change: Record<string, unknown>) => inspectFromFiles(inspect.Id, DRIVER, { ...config, State: { ...config.State, ...change } }, hostConfig);
    expect(state({})).not.toBeNull();
    // Running (started after the engine listed the active ones), paused, restarting,
    // being removed (as engines before 29 save it), dead (as engine 29 saves a
    // removal): the engine says what it is.
    for (const change of [{ Running: true }, { Running: true, Paused: true }, { Running: true, Restarting: true }, { RemovalInProgress: true }, { Dead: true }]) expect(state(change), JSON.stringify(change)).toBeNull();
    // Another storage driver's container: the engine does not load it (an inspect
    // answers 404), whatever its files say.
    expect(inspectFromFiles(inspect.Id, 'devicemapper', config, hostConfig)).toBeNull();
    expect(inspectFromFiles(inspect.Id, DRIVER, { ...config, Driver: '' }, hostConfig)).toBeNull();
    // Not the container asked about, or fields of another shape.
    expect(inspectFromFiles('f'.repeat(64), DRIVER, config, hostConfig)).toBeNull();
    expect(state({ StartedAt: undefined })).toBeNull();
    expect(state({ Running: 'false' })).toBeNull();
    expect(inspectFromFiles(inspect.Id, DRIVER, { ...config, Name: undefined }, hostConfig)).toBeNull();
    expect(inspectFromFiles(inspect.Id, DRIVER, { ...config, MountPoints: { '/data': { Destination: '/data', RW: true } } }, hostConfig)).toBeNull();
    expect(inspectFromFiles(inspect.Id, DRIVER, { ...config, Config: null }, hostConfig)).toBeNull();
    expect(inspectFromFiles(inspect.Id, DRIVER, config, null)).toBeNull();
    expect(inspectFromFiles(inspect.Id, DRIVER, [], hostConfig)).toBeNull();
  });
});
