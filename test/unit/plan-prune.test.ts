import { describe, expect, it } from 'vitest';
import { applyPruneItem } from '../../src/act/prune.js';
import { classifyDrift, changesFrom } from '../../src/core/drift.js';
import type { Finding } from '../../src/core/model.js';
import { decidePrune, maxAgeUnder, pressureOf, protectMatcher, pruneCandidates } from '../../src/core/plan-prune.js';
import type { EngineClient } from '../../src/engine/client.js';
import { facts } from '../helpers/facts.js';
import { DEFAULTS } from '../helpers/policy.js';

const HOUR = 3_600_000;
const now = Date.parse('2026-11-28T12:00:00Z');
const ago = (hours: number) => new Date(now - hours * HOUR).toISOString();
const policy = { ...DEFAULTS.containers.exited, maxAge: 24 * HOUR, keepLast: 1, protect: ['db-*'] };
const exited = (name: string, hours: number, parts = {}) => facts({ id: `id-${name}`, name, state: 'exited', finishedAt: ago(hours), image: `img-${name}`, ...parts });

describe('pruneCandidates', () => {
  it('gives every container its reason', () => {
    const containers = [
      facts({ id: 'id-web', name: 'web', state: 'running' }),
      exited('labelled', 48, { labels: { 'watchdog.keep': '' } }),
      exited('db-backup', 48),
      exited('young', 2, { image: 'shared' }),
      exited('old', 48, { image: 'shared' }),
      exited('lonely', 48),
      facts({ id: 'id-never', name: 'never', state: 'created', finishedAt: null, createdAt: ago(30), image: 'shared' }),
    ];
    const items = pruneCandidates(containers, policy, 'ok', DEFAULTS.escalation, now);
    expect(items.map((i) => `${i.name}: ${i.action} ${i.code}`)).toEqual([
      'web: keep active',
      'labelled: keep protect-label',
      'db-backup: keep protect-pattern',
      'young: keep newest-of-image',
      'old: candidate old-enough',
      'lonely: keep newest-of-image',
      'never: candidate old-enough',
    ]);
    // The reasons people read are the same decisions, in words.
    expect(items.map((i) => `${i.name}: ${i.action}: ${i.reason}`)).toEqual([
      'web: keep: kept: running',
      'labelled: keep: kept: label watchdog.keep',
      'db-backup: keep: kept: protected by pattern "db-*"',
      'young: keep: kept: newest exited container of image shared (keepLast 1)',
      'old: candidate: finished 2 days ago > 1 day',
      'lonely: keep: kept: newest exited container of image img-lonely (keepLast 1)',
      'never: candidate: created, never started, 1 day ago > 1 day',
    ]);
  });

  it.each([
    // Whole image references: `*` crosses `/`, registry ports and dots (issue #9, defect 12).
    ['*postgres*', 'registry.local:5000/team/postgres:15', true],
    ['*postgres*', 'library/postgres@sha256:0f3e1a', true],
    ['*postgres*', 'postgres:15', true],
    ['*/postgres:*', 'registry.local:5000/team/postgres:15', true],
    ['registry.local:5000/*', 'registry.local:5000/team/postgres:15', true],
    ['*:5000/*', 'registry.local:5000/team/redis:7', true],
    ['postgres:*', 'postgres:15', true],
    // ... and match the whole reference, not a part of it.
    ['postgres:*', 'registry.local:5000/team/postgres:15', false],
    ['postgres', 'registry.local:5000/team/postgres:15', false],
    ['*postgres*', 'registry.local:5000/team/redis:7', false],
    ['db-*', 'db-backup', true],
  ])('protect pattern %j matches %j: %s', (pattern, reference, matches) => {
    expect(protectMatcher(pattern)(reference)).toBe(matches);
  });

  it('keeps a container whose image reference, registry port and all, matches a protect pattern', () => {
    const items = pruneCandidates(
      [exited('pg', 48, { image: 'registry.local:5000/team/postgres:15' }), exited('pg2', 48, { image: 'library/postgres@sha256:0f3e1a' }), exited('cache', 48, { image: 'registry.local:5000/team/redis:7' })],
      { ...policy, keepLast: 0, protect: ['*postgres*'] },
      'ok',
      DEFAULTS.escalation,
      now,
    );
    expect(items.map((i) => `${i.name}: ${i.action} ${i.code}`)).toEqual(['pg: keep protect-pattern', 'pg2: keep protect-pattern', 'cache: candidate old-enough']);
  });

  it('prunes sooner under pressure, never later', () => {
    expect(maxAgeUnder('ok', policy, DEFAULTS.escalation)).toBe(24 * HOUR);
    expect(maxAgeUnder('warning', policy, DEFAULTS.escalation)).toBe(6 * HOUR);
    expect(maxAgeUnder('critical', policy, DEFAULTS.escalation)).toBe(1 * HOUR);
    expect(maxAgeUnder('critical', { ...policy, maxAge: 10 * 60_000 }, DEFAULTS.escalation)).toBe(10 * 60_000);
    const f = (code: Finding['code'], severity: Finding['severity']): Finding => ({ code, severity, message: '' });
    expect(pressureOf([f('UNBOUNDED_LOG', 'warning')])).toBe('ok');
    expect(pressureOf([f('INODES_LOW', 'warning'), f('DATA_SPACE_LOW', 'critical')])).toBe('critical');
    const [item] = pruneCandidates([exited('x', 3), exited('y', 2, { image: 'img-x' })], { ...policy, keepLast: 0 }, 'warning', DEFAULTS.escalation, now);
    expect(item!.reason).toBe('kept: finished 3 hours ago < 6 hours (warning disk pressure)');
  });
});

describe('decidePrune', () => {
  const candidate = pruneCandidates([exited('old', 48)], { ...policy, keepLast: 0 }, 'ok', DEFAULTS.escalation, now);
  const suspicious = classifyDrift(changesFrom([{ Path: '/usr/bin/passwd', Kind: 0 }]), ['/tmp/**'], false);

  it('prunes clean ones, holds suspicious ones (or exports first), and holds when drift is unknown', () => {
    const clean = classifyDrift([], ['/tmp/**'], false);
    expect(decidePrune(candidate, new Map([['id-old', clean]]), DEFAULTS.drift)[0]).toMatchObject({ action: 'prune', code: 'old-enough', reason: 'prune: finished 2 days ago > 1 day; no changes' });
    expect(decidePrune(candidate, new Map([['id-old', suspicious]]), DEFAULTS.drift)[0]).toMatchObject({ action: 'hold', code: 'drift-suspicious', reason: 'held: changes to system paths: C /usr/bin/passwd' });
    expect(decidePrune(candidate, new Map([['id-old', suspicious]]), { ...DEFAULTS.drift, onSuspicious: 'export-and-prune' })[0]).toMatchObject({ action: 'export-and-prune', code: 'drift-suspicious' });
    expect(decidePrune(candidate, new Map([['id-old', new Error('engine said 500')]]), DEFAULTS.drift)[0]).toMatchObject({ action: 'hold', code: 'drift-unknown', reason: 'held: drift could not be checked (engine said 500)' });
  });
});

describe('applyPruneItem', () => {
  it('holds a clean container whose drift changed since the plan (docker cp into it)', async () => {
    let removed = false;
    const client = {
      inspectContainer: async () => ({ Id: 'id-old', State: { Status: 'exited', FinishedAt: ago(48) } }),
      removeContainer: async () => void (removed = true),
    } as unknown as EngineClient;
    const [item] = decidePrune(pruneCandidates([exited('old', 48)], { ...policy, keepLast: 0 }, 'ok', DEFAULTS.escalation, now), new Map([['id-old', classifyDrift([], [], false)]]), DEFAULTS.drift);
    const now2 = classifyDrift(changesFrom([{ Path: '/usr/bin/x', Kind: 1 }]), ['/tmp/**'], false);
    const result = await applyPruneItem(item!, exited('old', 48), [], { client, archiveDir: '/nonexistent', removeVolumes: false, recheckDrift: async () => now2 });
    expect(result).toMatchObject({ outcome: 'held', message: 'held: its drift changed since the plan: changes to system paths: A /usr/bin/x' });
    expect(removed).toBe(false);
  });

  it('never removes a container that ran again since the plan', async () => {
    let removed = false;
    const client = {
      inspectContainer: async () => ({ Id: 'id-old', State: { Status: 'exited', FinishedAt: ago(0.01) } }),
      removeContainer: async () => void (removed = true),
    } as unknown as EngineClient;
    const [item] = decidePrune(pruneCandidates([exited('old', 48)], { ...policy, keepLast: 0 }, 'ok', DEFAULTS.escalation, now), new Map([['id-old', classifyDrift([], [], false)]]), DEFAULTS.drift);
    const result = await applyPruneItem(item!, exited('old', 48), [], { client, archiveDir: '/nonexistent', removeVolumes: false, recheckDrift: async () => classifyDrift([], [], false) });
    expect(result).toMatchObject({ outcome: 'skipped', message: 'skipped: it ran again since the plan (now exited)' });
    expect(removed).toBe(false);
  });
});
