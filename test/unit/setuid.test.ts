// SETUID_DRIFT (issue #13): the engine's stat header, which paths are asked, what the
// modes mean, the finding, and the collector's order, cap and cache.

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { collectModes } from '../../src/collect/modes.js';
import { allowFor, changesFrom, classifyDrift, driftFindings, type Change } from '../../src/core/drift.js';
import { findingSchema } from '../../src/core/report-schema.js';
import { GO_MODE_DIR, GO_MODE_SETGID, GO_MODE_SETUID, modeCandidates, modeCheck, octalMode, setuidFindings, specialBits, type ModeCheck, type PathStat } from '../../src/core/setuid.js';
import { EngineRequestError, parsePathStatHeader, type EngineClient } from '../../src/engine/client.js';
import { EngineUnreachableError } from '../../src/errors.js';
import { sqliteChangesCache, sqliteModesCache } from '../../src/state/cache.js';
import { openStore, SCHEMA_VERSION } from '../../src/state/store.js';
import { facts } from '../helpers/facts.js';

/** Headers captured from the test engine (20.10.24): see test/fixtures/path-stat/README.md. */
const HEADERS = JSON.parse(readFileSync(new URL('../fixtures/path-stat/headers-20.10.json', import.meta.url), 'utf8')) as Record<string, string>;
const modeOf = (path: string) => parsePathStatHeader(HEADERS[path]).mode;

/** `docker diff` of the container the headers were captured from. */
const CAPTURED = changesFrom([
  { Path: '/usr', Kind: 0 },
  { Path: '/usr/local', Kind: 1 },
  { Path: '/usr/local/bin', Kind: 1 },
  { Path: '/usr/local/bin/sb', Kind: 1 },
  { Path: '/tmp', Kind: 0 },
  { Path: '/tmp/plain', Kind: 1 },
  { Path: '/tmp/sg', Kind: 1 },
]);
const ALLOW = ['/tmp/**', '/run/**', '/var/run/**', '/var/tmp/**'];

describe('the engine stat header (X-Docker-Container-Path-Stat)', () => {
  it('reads the mode of each path as the engine gave it', () => {
    expect(parsePathStatHeader(HEADERS['/usr/local/bin/sb'])).toEqual({ name: 'sb', size: 1982256, mode: 8389101, mtime: '2026-11-29T11:38:30.494216606Z', linkTarget: '' });
    const read = Object.fromEntries(Object.keys(HEADERS).map((p) => [p, [octalMode(modeOf(p)), specialBits(modeOf(p))]]));
    expect(read).toEqual({
      '/usr/local/bin/sb': ['4755', ['setuid']],
      '/tmp/sg': ['2755', ['setgid']],
      '/tmp/plain': ['0644', []],
      // A directory (bit 31, above JavaScript's 32-bit signed operators) and a link.
      '/usr/local': ['0755', []],
      '/bin/sh': ['0777', []],
    });
    expect(parsePathStatHeader(HEADERS['/bin/sh']).linkTarget).toBe('/bin/busybox');
  });

  it('takes the first value of a repeated header', () => {
    expect(parsePathStatHeader([HEADERS['/tmp/sg']!, HEADERS['/tmp/plain']!]).mode).toBe(4194797);
  });

  it('refuses, quoting it, a value that is not base64 of JSON with a numeric mode, and a missing header', () => {
    const json = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64');
    for (const bad of ['not base64 !', json({ name: 'x' }), json({ mode: '4755' }), json({ mode: -1 }), json({ mode: 2 ** 32 }), json({ mode: 1.5 }), json(null), '']) {
      expect(() => parsePathStatHeader(bad), bad).toThrow(`"${bad}" is not base64 of JSON with a numeric mode`);
    }
    expect(() => parsePathStatHeader(undefined)).toThrow('has no x-docker-container-path-stat header');
  });
});

describe('the modes', () => {
  it('count setuid and setgid only on files, never on directories or links', () => {
    expect(specialBits(GO_MODE_SETUID + GO_MODE_SETGID + 0o755)).toEqual(['setuid', 'setgid']);
    expect(octalMode(GO_MODE_SETUID + GO_MODE_SETGID + 0o755)).toBe('6755');
    // A setgid directory (group inheritance, /var/mail) is common and harmless.
    expect(specialBits(GO_MODE_DIR + GO_MODE_SETGID + 0o2775)).toEqual([]);
    expect(specialBits(0o755)).toEqual([]);
  });

  it('are asked only of added or changed paths that are not directories (nor deleted)', () => {
    expect(modeCandidates(CAPTURED)).toEqual(['/usr/local/bin/sb', '/tmp/plain', '/tmp/sg']);
    const withDeleted = changesFrom([{ Path: '/etc', Kind: 0 }, { Path: '/etc/shadow', Kind: 2 }, { Path: '/etc/passwd', Kind: 0 }, { Path: '/srv', Kind: 0 }]);
    // /etc has something listed beneath it; /srv, modified with nothing beneath it, may be a file.
    expect(modeCandidates(withDeleted)).toEqual(['/etc/passwd', '/srv']);
    expect(modeCandidates([])).toEqual([]);
  });
});

const checkOf = (entries: Array<[string, number | null]>, unchecked = 0, limit = 1000): ModeCheck => modeCheck(new Map(entries), unchecked, limit);

describe('SETUID_DRIFT and the drift it makes suspicious', () => {
  const captured = checkOf([
    ['/usr/local/bin/sb', modeOf('/usr/local/bin/sb')],
    ['/tmp/plain', modeOf('/tmp/plain')],
    ['/tmp/sg', modeOf('/tmp/sg')],
  ]);

  it('is critical, names each file with its mode, and says what to do', () => {
    expect(captured.setuid.map((f) => f.path)).toEqual(['/usr/local/bin/sb', '/tmp/sg']);
    const [finding, ...rest] = setuidFindings('id-x', 'x', captured);
    expect(rest).toEqual([]);
    expect(findingSchema.parse(finding)).toEqual({
      code: 'SETUID_DRIFT',
      severity: 'critical',
      containerId: 'id-x',
      subject: 'x',
      setuidFiles: 2,
      message:
        'x: setuid or setgid files written in its own filesystem: /usr/local/bin/sb 4755 (setuid), /tmp/sg 2755 (setgid); keep its forensic bundle (watchdog drift x), re-create the container from its image, and find who wrote them (its log, its image\'s entrypoint, who may exec into it)',
    });
  });

  it('shows at most 3 files, then how many more, and the paths past drift.maxModeChecks', () => {
    const many = checkOf(
      ['/a', '/b', '/c', '/d', '/e'].map((p) => [p, GO_MODE_SETUID + 0o755]),
      7,
      5,
    );
    const [finding] = setuidFindings('id', 'n', many);
    expect(finding).toMatchObject({ severity: 'critical', setuidFiles: 5, modesUnchecked: 7 });
    expect(finding!.message).toContain('setuid files written in its own filesystem: /a 4755 (setuid), /b 4755 (setuid), /c 4755 (setuid) and 2 more; 7 more changed paths were not checked (drift.maxModeChecks 5); keep');
  });

  it('says, as info, that paths were not checked when none of those checked has the bit, and nothing when all were and none has', () => {
    expect(setuidFindings('id', 'n', checkOf([['/a', 0o644]], 1, 1))).toEqual([
      expect.objectContaining({ code: 'SETUID_DRIFT', severity: 'info', setuidFiles: 0, modesUnchecked: 1, message: 'n: none of the 1 changed paths checked has the setuid or setgid bit, but 1 more was not checked (drift.maxModeChecks 1); raise drift.maxModeChecks to check them all (each costs one request to the engine)' }),
    ]);
    expect(setuidFindings('id', 'n', checkOf([['/a', 0o644], ['/gone', null]]))).toEqual([]);
    expect(setuidFindings('id', 'n', undefined)).toEqual([]);
  });

  it('makes drift under allowed paths suspicious, with the reason, and adds to one already suspicious', () => {
    const onlyTmp = changesFrom([{ Path: '/tmp', Kind: 0 }, { Path: '/tmp/sg', Kind: 1 }]);
    const check = checkOf([['/tmp/sg', modeOf('/tmp/sg')]]);
    expect(classifyDrift(onlyTmp, ALLOW, false).status).toBe('clean');
    expect(classifyDrift(onlyTmp, ALLOW, false, check)).toMatchObject({ status: 'suspicious', outside: [], critical: [], reason: 'setuid or setgid files (allowed paths do not excuse them): /tmp/sg 2755 (setgid)', modes: check });
    // Nor does the container's own label.
    expect(classifyDrift(changesFrom([{ Path: '/data/sb', Kind: 1 }]), allowFor(ALLOW, { 'watchdog.drift.allow': '/data/**' }), false, checkOf([['/data/sb', GO_MODE_SETUID + 0o755]])).status).toBe('suspicious');
    expect(classifyDrift(CAPTURED, ALLOW, false, captured)).toMatchObject({
      status: 'suspicious',
      reason: 'changes to system paths: A /usr/local, A /usr/local/bin, A /usr/local/bin/sb; setuid or setgid files: /usr/local/bin/sb 4755 (setuid), /tmp/sg 2755 (setgid)',
    });
    // Plain files under allowed paths stay clean.
    expect(classifyDrift(onlyTmp, ALLOW, false, checkOf([['/tmp/sg', 0o644]])).status).toBe('clean');
  });

  it('comes with the drift findings, beside DRIFT_SUSPICIOUS, at the severity audit.severity gives it', () => {
    const drift = classifyDrift(changesFrom([{ Path: '/tmp/sg', Kind: 1 }]), ALLOW, false, checkOf([['/tmp/sg', modeOf('/tmp/sg')]]));
    const items = [{ containerId: 'id-x', name: 'x', drift }];
    expect(driftFindings(items).map((f) => `${f.severity}:${f.code}`)).toEqual(['critical:SETUID_DRIFT', 'warning:DRIFT_SUSPICIOUS']);
    expect(driftFindings(items, { SETUID_DRIFT: 'warning', NO_MAC: 'info' }).map((f) => `${f.severity}:${f.code}`)).toEqual(['warning:SETUID_DRIFT', 'warning:DRIFT_SUSPICIOUS']);
    // The info one (paths not checked) is no evidence: it stays info.
    const capped = classifyDrift(changesFrom([{ Path: '/tmp/a', Kind: 1 }, { Path: '/tmp/b', Kind: 1 }]), ALLOW, false, checkOf([['/tmp/a', 0o644]], 1, 1));
    expect(driftFindings([{ containerId: 'id-y', name: 'y', drift: capped }], { SETUID_DRIFT: 'critical' }).map((f) => `${f.severity}:${f.code}`)).toEqual(['info:SETUID_DRIFT']);
  });
});

/** An engine that answers stats from a table, and records the order and overlap of its
 *  requests. */
function statEngine(modes: Record<string, number | null | Error>) {
  const asked: string[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const client = {
    containerPathStat: async (id: string, path: string): Promise<PathStat | null> => {
      asked.push(`${id}:${path}`);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((r) => setTimeout(r, 1));
      inFlight--;
      const mode = modes[path];
      if (mode instanceof Error) throw mode;
      return mode === null || mode === undefined ? null : { name: path, size: 1, mode, mtime: '', linkTarget: '' };
    },
  } as unknown as EngineClient;
  return { client, asked, maxInFlight: () => maxInFlight };
}

function memoryCache() {
  const saved = new Map<string, ModeCheck>();
  return { saved, cache: { lookup: (id: string, token: string) => saved.get(`${id}@${token}`) ?? null, save: (id: string, token: string, check: ModeCheck) => void saved.set(`${id}@${token}`, check) } };
}

describe('collectModes', () => {
  const changes = (paths: string[]): Change[] => paths.map((path) => ({ path, kind: 'added' }));

  it('asks one path at a time, one container after another, at most maxModeChecks each, and says how many were left', async () => {
    const engine = statEngine({ '/a': GO_MODE_SETUID + 0o755, '/b': 0o644, '/c': 0o644 });
    const a = facts({ id: 'a', state: 'exited' });
    const b = facts({ id: 'b', state: 'exited' });
    const result = await collectModes(engine.client, [a, b], new Map([['a', changes(['/a', '/b', '/c'])], ['b', changes(['/c'])]]), 2, null);
    expect(engine.asked).toEqual(['a:/a', 'a:/b', 'b:/c']);
    expect(engine.maxInFlight()).toBe(1);
    expect(result.get('a')).toEqual({ setuid: [{ path: '/a', mode: GO_MODE_SETUID + 0o755, bits: ['setuid'] }], checked: 2, unchecked: 1, limit: 2 });
    expect(result.get('b')).toMatchObject({ setuid: [], checked: 1, unchecked: 0 });
  });

  it('skips containers whose changes are unknown or whose root filesystem is read-only, and a path gone since is no file', async () => {
    const engine = statEngine({ '/gone': null });
    const result = await collectModes(
      engine.client,
      [facts({ id: 'err' }), facts({ id: 'ro', readonlyRootfs: true }), facts({ id: 'ok' })],
      new Map<string, Change[] | Error>([['err', new Error('x')], ['ro', changes(['/x'])], ['ok', changes(['/gone'])]]),
      10,
      null,
    );
    expect([...result.keys()]).toEqual(['ok']);
    expect(result.get('ok')).toMatchObject({ setuid: [], checked: 1, unchecked: 0 });
  });

  it('caches exited containers by change token, never running ones, and asks again when the cap changed', async () => {
    const engine = statEngine({ '/a': 0o644, '/b': 0o644 });
    const { saved, cache } = memoryCache();
    const exited = facts({ id: 'e', state: 'exited', changeToken: 't1' });
    const running = facts({ id: 'r', state: 'running', changeToken: 't2' });
    const found = new Map([['e', changes(['/a', '/b'])], ['r', changes(['/a'])]]);
    await collectModes(engine.client, [exited, running], found, 1, cache);
    expect([...saved.keys()]).toEqual(['e@t1']);
    await collectModes(engine.client, [exited, running], found, 1, cache);
    // The exited one once, the running one each time.
    expect(engine.asked).toEqual(['e:/a', 'r:/a', 'r:/a']);
    // A cut at another limit does not answer for this one.
    await collectModes(engine.client, [exited], found, 5, cache);
    expect(engine.asked.slice(3)).toEqual(['e:/a', 'e:/b']);
    expect(saved.get('e@t1')).toMatchObject({ checked: 2, unchecked: 0, limit: 5 });
    await collectModes(engine.client, [exited], found, 1, cache);
    expect(engine.asked).toHaveLength(5);
  });

  it('gives an Error for a container the engine would not answer for, and stops at an engine that is gone', async () => {
    const failing = statEngine({ '/a': new EngineRequestError('The engine answered 500 to HEAD /containers/x/archive: boom', 500) });
    const result = await collectModes(failing.client, [facts({ id: 'x' })], new Map([['x', changes(['/a'])]]), 10, null);
    expect((result.get('x') as Error).message).toBe('the modes of its changed files could not be read (The engine answered 500 to HEAD /containers/x/archive: boom)');
    const gone = statEngine({ '/a': new EngineUnreachableError('Cannot reach the Docker engine') });
    await expect(collectModes(gone.client, [facts({ id: 'x' })], new Map([['x', changes(['/a'])]]), 10, null)).rejects.toThrow(EngineUnreachableError);
  });
});

describe('the modes cache (store schema step 9)', () => {
  it('keeps a check on the row of the changes it was made of, and forgets it with new changes', () => {
    const { db } = openStore(join(mkdtempSync(join(tmpdir(), 'wdt-setuid-')), 'state.db'), () => {}, new Date());
    expect(SCHEMA_VERSION).toBeGreaterThanOrEqual(9);
    const changesCache = sqliteChangesCache(db);
    const modesCache = sqliteModesCache(db);
    const check = checkOf([['/tmp/sg', GO_MODE_SETGID + 0o755]]);
    // No changes row: nothing to hang it on.
    modesCache.save('c', 't1', check);
    expect(modesCache.lookup('c', 't1')).toBeNull();
    changesCache.save('c', 't1', changes1);
    expect(modesCache.lookup('c', 't1')).toBeNull();
    modesCache.save('c', 't1', check);
    expect(modesCache.lookup('c', 't1')).toEqual(check);
    expect(modesCache.lookup('c', 't2')).toBeNull();
    expect(changesCache.lookup('c', 't1')).toEqual(changes1);
    changesCache.save('c', 't2', changes1);
    expect(modesCache.lookup('c', 't2')).toBeNull();
    db.close();
  });
});

const changes1: Change[] = [{ path: '/tmp/sg', kind: 'added' }];
