// Which exited containers to prune, each with the reason it will or will not be. Pure:
// the snapshot, the drift of the candidates, the policy, the disk pressure and `now`
// come in; the plan goes out. Planning is two steps because drift (`docker diff`) is
// costly: first the candidates, then, with their drift, the decision. Decisions are
// codes; the reason is their text, for people.

import picomatch from 'picomatch';
import type { Drift } from './drift.js';
import { formatDuration } from './durations.js';
import type { ContainerFacts, Finding } from './model.js';
import { isActive, isExited } from './model.js';
import type { DriftPolicy, EscalationPolicy, ExitedPolicy } from './policy.js';

export type Pressure = 'ok' | 'warning' | 'critical';

export type PruneCode =
  /** keep: */
  | 'active'
  | 'not-exited'
  | 'protect-label'
  | 'protect-pattern'
  | 'newest-of-image'
  | 'age-unknown'
  | 'too-young'
  /** candidate, prune, export-and-prune: */
  | 'old-enough'
  /** hold (or export-and-prune for suspicious): */
  | 'drift-unknown'
  | 'drift-suspicious';

export interface PruneItem {
  containerId: string;
  name: string;
  image: string;
  finishedAt: string | null;
  /** candidate: passed every rule but drift, which decides (see decidePrune). */
  action: 'keep' | 'candidate' | 'prune' | 'hold' | 'export-and-prune';
  code: PruneCode;
  reason: string;
  footprintBytes: number | null;
  drift: Drift | null;
}

const SPACE_CODES = new Set<Finding['code']>(['DATA_SPACE_LOW', 'METADATA_SPACE_LOW', 'INODES_LOW']);

/** The disk pressure the findings describe: the worst of data, metadata and inodes. */
export function pressureOf(findings: readonly Finding[]): Pressure {
  const levels = findings.filter((f) => SPACE_CODES.has(f.code)).map((f) => f.severity);
  return levels.includes('critical') ? 'critical' : levels.includes('warning') ? 'warning' : 'ok';
}

/** Under pressure the escalation's stricter age applies, never a laxer one. */
export function maxAgeUnder(pressure: Pressure, policy: ExitedPolicy, escalation: EscalationPolicy): number {
  return pressure === 'ok' ? policy.maxAge : Math.min(escalation[pressure].maxAge, policy.maxAge);
}

/**
 * A containers.exited.protect pattern, matched against the whole container name and the
 * whole image reference as it was created from (Config.Image). An image reference is
 * not a path: `*` crosses `/` and `:` (picomatch's bash mode: a single star is a
 * globstar), so `*postgres*` protects `registry.local:5000/team/postgres:15`, and dot
 * is on so that a `.` in a registry host never stops a match.
 */
export function protectMatcher(pattern: string): (nameOrImage: string) => boolean {
  return picomatch(pattern, { bash: true, dot: true });
}

/** When a container stopped being useful: when it finished, or was created if it never ran. */
const endedAt = (c: ContainerFacts): number | null => {
  const iso = c.finishedAt ?? c.createdAt;
  return iso ? Date.parse(iso) : null;
};

/** Step one: every container, kept with its reason or a candidate for drift checking. */
export function pruneCandidates(containers: ContainerFacts[], policy: ExitedPolicy, pressure: Pressure, escalation: EscalationPolicy, now: number): PruneItem[] {
  const maxAge = maxAgeUnder(pressure, policy, escalation);
  const underPressure = maxAge < policy.maxAge ? ` (${pressure} disk pressure)` : '';
  const protectedBy = policy.protect.map((pattern) => ({ pattern, match: protectMatcher(pattern) }));

  // keepLast: the newest exited containers of each image stay.
  const newest = new Set<string>();
  const byImage = new Map<string, ContainerFacts[]>();
  for (const c of containers.filter((c) => isExited(c.state))) byImage.set(c.image, [...(byImage.get(c.image) ?? []), c]);
  for (const group of byImage.values()) {
    group.sort((a, b) => (endedAt(b) ?? 0) - (endedAt(a) ?? 0));
    for (const c of group.slice(0, policy.keepLast)) newest.add(c.id);
  }

  return containers.map((c): PruneItem => {
    const item = { containerId: c.id, name: c.name, image: c.image, finishedAt: c.finishedAt, footprintBytes: c.footprint?.bytes ?? null, drift: null };
    const keep = (code: PruneCode, why: string): PruneItem => ({ ...item, action: 'keep', code, reason: `kept: ${why}` });
    if (!isExited(c.state)) return keep(isActive(c.state) ? 'active' : 'not-exited', c.state);
    if (policy.protectLabel in c.labels) return keep('protect-label', `label ${policy.protectLabel}`);
    const pattern = protectedBy.find((p) => p.match(c.name) || p.match(c.image));
    if (pattern) return keep('protect-pattern', `protected by pattern "${pattern.pattern}"`);
    if (newest.has(c.id)) return keep('newest-of-image', `newest exited container of image ${c.image} (keepLast ${policy.keepLast})`);
    const ended = endedAt(c);
    if (ended === null) return keep('age-unknown', 'its age is unknown');
    const verb = c.finishedAt ? 'finished' : 'created, never started,';
    const age = `${verb} ${formatDuration(now - ended)} ago`;
    if (now - ended < maxAge) return keep('too-young', `${age} < ${formatDuration(maxAge)}${underPressure}`);
    return { ...item, action: 'candidate', code: 'old-enough', reason: `${age} > ${formatDuration(maxAge)}${underPressure}` };
  });
}

/** Step two: candidates whose drift is known become prune, hold, or export-and-prune.
 *  A candidate whose drift could not be read is held: evidence is never gambled. */
export function decidePrune(items: PruneItem[], driftById: ReadonlyMap<string, Drift | Error>, policy: DriftPolicy): PruneItem[] {
  return items.map((item) => {
    if (item.action !== 'candidate') return item;
    const drift = driftById.get(item.containerId);
    if (drift === undefined || drift instanceof Error) {
      return { ...item, action: 'hold', code: 'drift-unknown', reason: `held: drift could not be checked${drift ? ` (${drift.message})` : ''}` };
    }
    if (drift.status === 'suspicious') {
      return policy.onSuspicious === 'hold'
        ? { ...item, drift, action: 'hold', code: 'drift-suspicious', reason: `held: ${drift.reason}` }
        : { ...item, drift, action: 'export-and-prune', code: 'drift-suspicious', reason: `prune after forensic export: ${item.reason}; ${drift.reason}` };
    }
    return { ...item, drift, action: 'prune', reason: `prune: ${item.reason}; ${drift.reason}` };
  });
}
