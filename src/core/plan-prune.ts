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

type PruneSubject = Pick<PruneItem, 'containerId' | 'name' | 'image' | 'finishedAt' | 'footprintBytes'>;

/** Every field named, in the order the JSON shows them: a spread of the subject gave each
 *  of 10,000 items a hidden class of its own (2.4 MB of V8 descriptor arrays in a heap
 *  snapshot of `check`; issue #14). */
function pruneItem(subject: PruneSubject, drift: Drift | null, action: PruneItem['action'], code: PruneCode, reason: string): PruneItem {
  return { containerId: subject.containerId, name: subject.name, image: subject.image, finishedAt: subject.finishedAt, footprintBytes: subject.footprintBytes, drift, action, code, reason };
}

/** Step one: every container, kept with its reason or a candidate for drift checking. */
export function pruneCandidates(containers: ContainerFacts[], policy: ExitedPolicy, pressure: Pressure, escalation: EscalationPolicy, now: number): PruneItem[] {
  const maxAge = maxAgeUnder(pressure, policy, escalation);
  const underPressure = maxAge < policy.maxAge ? ` (${pressure} disk pressure)` : '';
  const protectedBy = policy.protect.map((pattern) => ({ pattern, match: protectMatcher(pattern) }));

  // keepLast: the newest exited containers of each image stay.
  const newest = new Set<string>();
  const byImage = new Map<string, ContainerFacts[]>();
  // Pushed, not copied: a copy per container was quadratic in an image's containers.
  for (const c of containers.filter((c) => isExited(c.state))) {
    const group = byImage.get(c.image);
    if (group) group.push(c);
    else byImage.set(c.image, [c]);
  }
  for (const group of byImage.values()) {
    group.sort((a, b) => (endedAt(b) ?? 0) - (endedAt(a) ?? 0));
    for (const c of group.slice(0, policy.keepLast)) newest.add(c.id);
  }

  return containers.map((c): PruneItem => {
    const item = { containerId: c.id, name: c.name, image: c.image, finishedAt: c.finishedAt, footprintBytes: c.footprint?.bytes ?? null };
    const keep = (code: PruneCode, why: string): PruneItem => pruneItem(item, null, 'keep', code, `kept: ${why}`);
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
    return pruneItem(item, null, 'candidate', 'old-enough', `${age} > ${formatDuration(maxAge)}${underPressure}`);
  });
}

/** Step two: candidates whose drift is known become prune, hold, or export-and-prune.
 *  A candidate whose drift could not be read is held: evidence is never gambled. */
export function decidePrune(items: PruneItem[], driftById: ReadonlyMap<string, Drift | Error>, policy: DriftPolicy): PruneItem[] {
  return items.map((item) => {
    if (item.action !== 'candidate') return item;
    const drift = driftById.get(item.containerId);
    if (drift === undefined || drift instanceof Error) {
      return pruneItem(item, item.drift, 'hold', 'drift-unknown', `held: drift could not be checked${drift ? ` (${drift.message})` : ''}`);
    }
    if (drift.status === 'suspicious') {
      return policy.onSuspicious === 'hold'
        ? pruneItem(item, drift, 'hold', 'drift-suspicious', `held: ${drift.reason}`)
        : pruneItem(item, drift, 'export-and-prune', 'drift-suspicious', `prune after forensic export: ${item.reason}; ${drift.reason}`);
    }
    return pruneItem(item, drift, 'prune', item.code, `prune: ${item.reason}; ${drift.reason}`);
  });
}
