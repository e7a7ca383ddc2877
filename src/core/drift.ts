// What `docker diff` of a container says about it: changes only where it may write, or
// changes elsewhere (an intrusion indicator, and evidence a prune would destroy). Pure.

import picomatch from 'picomatch';
import type { Finding } from './model.js';

export interface Change {
  path: string;
  /** The engine's Kind: 0 modified (C), 1 added (A), 2 deleted (D). */
  kind: 'modified' | 'added' | 'deleted';
}

export type DriftStatus = 'clean' | 'suspicious' | 'not-applicable';

export interface Drift {
  status: DriftStatus;
  /** Changes outside the allowed paths. */
  outside: Change[];
  /** Of those, the ones under system paths: /etc, /bin, /sbin, /usr, /lib*, /root, /boot. */
  critical: Change[];
  reason: string;
}

const KINDS: Record<number, Change['kind']> = { 0: 'modified', 1: 'added', 2: 'deleted' };
const SYMBOL: Record<Change['kind'], string> = { modified: 'C', added: 'A', deleted: 'D' };
const CRITICAL = picomatch(['/etc{,/**}', '/bin{,/**}', '/sbin{,/**}', '/usr{,/**}', '/lib*{,/**}', '/root{,/**}', '/boot{,/**}'], { dot: true });

export function changesFrom(body: Array<{ Path: string; Kind: number }> | null): Change[] {
  return (body ?? []).map((c) => ({ path: c.Path, kind: KINDS[c.Kind] ?? 'modified' }));
}

export const describeChange = (c: Change): string => `${SYMBOL[c.kind]} ${c.path}`;

/**
 * `allow`: globs of paths the container may write (the policy's, plus its
 * `watchdog.drift.allow` label). A directory reported as modified only because
 * something changed beneath it is not a change of its own: `docker diff` lists /var
 * and /var/tmp when /var/tmp/x is added.
 */
export function classifyDrift(changes: Change[], allow: string[], readonlyRootfs: boolean): Drift {
  if (readonlyRootfs) {
    // tmpfs writes of a read-only container never show in `docker diff`: say so
    // rather than call it clean.
    return { status: 'not-applicable', outside: [], critical: [], reason: 'drift not applicable: read-only root filesystem (writes to its tmpfs mounts do not show)' };
  }
  const allowed = picomatch(allow, { dot: true });
  const paths = changes.map((c) => c.path);
  const isAncestor = (c: Change) => c.kind === 'modified' && paths.some((p) => p.startsWith(`${c.path}/`));
  const outside = changes.filter((c) => !isAncestor(c) && !allowed(c.path));
  const critical = outside.filter((c) => CRITICAL(c.path));
  if (outside.length === 0) return { status: 'clean', outside, critical, reason: changes.length === 0 ? 'no changes' : 'changes only in allowed paths' };
  const shown = (critical.length > 0 ? critical : outside).slice(0, 3).map(describeChange).join(', ');
  const more = outside.length > 3 ? ` and ${outside.length - 3} more` : '';
  return {
    status: 'suspicious',
    outside,
    critical,
    reason: `${critical.length > 0 ? 'changes to system paths' : 'changes outside allowed paths'}: ${shown}${more}`,
  };
}

/** A container's drift: its changes against the policy's globs and its own label. */
export function containerDrift(changes: Change[], container: { labels?: Record<string, string>; readonlyRootfs: boolean }, policyAllow: string[]): Drift {
  return classifyDrift(changes, allowFor(policyAllow, container.labels ?? {}), container.readonlyRootfs);
}

/** The allowed globs for one container: the policy's plus its label's (comma-separated). */
export function allowFor(policyAllow: string[], labels: Record<string, string>, label = 'watchdog.drift.allow'): string[] {
  const extra = (labels[label] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return [...policyAllow, ...extra];
}

/** The drift finding of each suspicious container a plan met: critical when a system
 *  path changed. */
export function driftFindings(items: Array<{ containerId: string; name: string; drift: Drift | null }>): Finding[] {
  return items.flatMap(({ containerId, name, drift }): Finding[] =>
    drift?.status === 'suspicious'
      ? [{ code: 'DRIFT_SUSPICIOUS', severity: drift.critical.length > 0 ? 'critical' : 'warning', containerId, subject: name, message: `${name}: ${drift.reason}` }]
      : [],
  );
}

/** Containers whose drift could not be read: the check could not run for them. */
export function unreadableDriftFindings(rows: Array<{ containerId: string; name: string; error: string | null }>): Finding[] {
  return rows.flatMap((r): Finding[] => (r.error === null ? [] : [{ code: 'COLLECTOR_FAILED', severity: 'warning', containerId: r.containerId, subject: 'drift', message: `drift: ${r.name}: ${r.error}` }]));
}
