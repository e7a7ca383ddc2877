// What `docker diff` of a container says about it: changes only where it may write, or
// changes elsewhere (an intrusion indicator, and evidence a prune would destroy). Pure.

import picomatch from 'picomatch';
import { onlyAnAncestor } from './ancestors.js';
import type { AuditPolicy } from './policy.js';
import type { Finding } from './model.js';
import { setuidEvidence, setuidFindings, type ModeCheck } from './setuid.js';

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
  /** Globs of the container's watchdog.drift.allow label that were refused (see labelGlobs). */
  labelIgnored: string[];
  /** The modes of its changed files (SETUID_DRIFT, core/setuid.ts); absent where they
   *  were not read (a read-only root filesystem, a caller that did not ask). */
  modes?: ModeCheck;
}

/** The globs a container is allowed to change: the policy's (the administrator's), and
 *  those of its own label that were accepted. */
export interface Allow {
  policy: string[];
  label: string[];
  /** Label globs refused: they negate, or could reach a system path. */
  ignored: string[];
}

const KINDS: Record<number, Change['kind']> = { 0: 'modified', 1: 'added', 2: 'deleted' };
const SYMBOL: Record<Change['kind'], string> = { modified: 'C', added: 'A', deleted: 'D' };
const SYSTEM_DIRS = new Set(['etc', 'bin', 'sbin', 'usr', 'root', 'boot']);

/** A system directory's name as a path's first segment: /etc, /bin, /sbin, /usr, /lib*, /root, /boot. */
const isSystemDir = (segment: string): boolean => SYSTEM_DIRS.has(segment) || segment.startsWith('lib');

/** Whether a path (raw, as the engine gave it: any byte but `/` may be in a name) is
 *  a system path or under one. A plain prefix test, no glob: a newline in a file name
 *  cannot hide it. */
export function isSystemPath(path: string): boolean {
  return path.startsWith('/') && isSystemDir(path.slice(1).split('/', 1)[0]!);
}

/** Globs matched against raw paths: `*` and `**` also match a control character in a
 *  file name (the `s` flag), so /tmp/** allows /tmp/a<newline>b. */
const matcher = (globs: string[]): ((path: string) => boolean) => (globs.length === 0 ? () => false : picomatch(globs, { dot: true, flags: 's' }));

/** Characters that make a glob segment match more than itself. */
const GLOB_CHARS = /[*?[\]{}()!+@\\]/;

/**
 * Why a label glob is refused, or null if it may be used. The label is set by whoever
 * runs the container, the party drift is meant to catch: it may only add paths, under a
 * literal first directory that is not a system directory. So no negation (`!`
 * anywhere), no `**`, `/**`, `/*`, `/{etc,tmp}/**`, `/e*`, `/[e]tc`: the first segment
 * has no glob character, is not `.` or `..`, and the glob goes below it.
 */
export function refuseLabelGlob(glob: string): string | null {
  if (glob.includes('!')) return 'negation';
  if (!glob.startsWith('/')) return 'not an absolute path';
  const [first = '', ...rest] = glob.slice(1).split('/');
  if (first === '' || GLOB_CHARS.test(first) || first === '.' || first === '..') return 'no literal first directory';
  if (isSystemDir(first)) return 'a system directory';
  if (rest.some((s) => s === '.' || s === '..')) return 'a . or .. segment';
  return null;
}

/** The globs of a container's label, split into those accepted and those refused. */
export function labelGlobs(labels: Record<string, string>, label = 'watchdog.drift.allow'): { label: string[]; ignored: string[] } {
  const globs = (labels[label] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const refused = new Set(globs.filter((g) => refuseLabelGlob(g) !== null));
  return { label: globs.filter((g) => !refused.has(g)), ignored: [...refused] };
}

export function changesFrom(body: Array<{ Path: string; Kind: number }> | null): Change[] {
  return (body ?? []).map((c) => ({ path: c.Path, kind: KINDS[c.Kind] ?? 'modified' }));
}

export const describeChange = (c: Change): string => `${SYMBOL[c.kind]} ${c.path}`;

/**
 * `allow`: globs of paths the container may write: the policy's, or (see allowFor)
 * the policy's plus its `watchdog.drift.allow` label's. A label's globs never allow a
 * change under a system path, whatever they are. A directory reported as modified only
 * because something changed beneath it is not a change of its own: `docker diff` lists
 * /var and /var/tmp when /var/tmp/x is added.
 */
export function classifyDrift(changes: Change[], allow: string[] | Allow, readonlyRootfs: boolean, modes?: ModeCheck): Drift {
  const { policy, label, ignored } = Array.isArray(allow) ? { policy: allow, label: [], ignored: [] } : allow;
  const labelIgnored = [...ignored];
  const withModes = modes ? { modes } : {};
  if (readonlyRootfs) {
    // tmpfs writes of a read-only container never show in `docker diff`: say so
    // rather than call it clean. (Nor can a file be chmod-ed in its layer: no mode check.)
    return { status: 'not-applicable', outside: [], critical: [], reason: 'drift not applicable: read-only root filesystem (writes to its tmpfs mounts do not show)', labelIgnored, ...withModes };
  }
  const byPolicy = matcher(policy);
  const byLabel = matcher(label);
  const allowed = (path: string) => byPolicy(path) || (!isSystemPath(path) && byLabel(path));
  const isAncestor = onlyAnAncestor(changes);
  const outside = changes.filter((c) => !isAncestor(c) && !allowed(c.path));
  const critical = outside.filter((c) => isSystemPath(c.path));
  // A setuid or setgid file is suspicious wherever it is, even under an allowed path:
  // /tmp is allowed for scratch files, not for a root shell kept for later. So a prune
  // holds the container and writes its forensic bundle, as for any suspicious drift.
  const setuid = modes?.setuid ?? [];
  const setuidReason = setuid.length > 0 ? `setuid or setgid files${outside.length === 0 ? ' (allowed paths do not excuse them)' : ''}: ${setuidEvidence(setuid)}` : null;
  if (outside.length === 0 && setuidReason === null) return { status: 'clean', outside, critical, reason: changes.length === 0 ? 'no changes' : 'changes only in allowed paths', labelIgnored, ...withModes };
  if (outside.length === 0) return { status: 'suspicious', outside, critical, reason: setuidReason!, labelIgnored, ...withModes };
  const shown = (critical.length > 0 ? critical : outside).slice(0, 3).map(describeChange).join(', ');
  const more = outside.length > 3 ? ` and ${outside.length - 3} more` : '';
  return {
    status: 'suspicious',
    outside,
    critical,
    reason: `${critical.length > 0 ? 'changes to system paths' : 'changes outside allowed paths'}: ${shown}${more}${setuidReason ? `; ${setuidReason}` : ''}`,
    labelIgnored,
    ...withModes,
  };
}

/** A container's drift: its changes against the policy's globs and its own label. */
export function containerDrift(changes: Change[], container: { labels?: Record<string, string>; readonlyRootfs: boolean }, policyAllow: string[], modes?: ModeCheck): Drift {
  return classifyDrift(changes, allowFor(policyAllow, container.labels ?? {}), container.readonlyRootfs, modes);
}

/** The allowed globs for one container: the policy's, plus those of its label
 *  (comma-separated) that labelGlobs accepts. */
export function allowFor(policyAllow: string[], labels: Record<string, string>, label = 'watchdog.drift.allow'): Allow {
  return { policy: policyAllow, ...labelGlobs(labels, label) };
}

/** The drift finding of each suspicious container a plan met (critical when a system
 *  path changed), of each whose label globs were refused, and SETUID_DRIFT of each with
 *  a setuid or setgid file (its severity as audit.severity says, if it says) or with
 *  paths left unchecked (info). */
export function driftFindings(items: Array<{ containerId: string; name: string; drift: Drift | null }>, severity: AuditPolicy['severity'] = {}): Finding[] {
  return items.flatMap(({ containerId, name, drift }): Finding[] => [
    // audit.severity is about the files found; the info finding (paths left unchecked) is
    // no evidence, and stays info.
    ...setuidFindings(containerId, name, drift?.modes).map((f) => (severity.SETUID_DRIFT && f.setuidFiles ? { ...f, severity: severity.SETUID_DRIFT } : f)),
    ...(drift?.status === 'suspicious'
      ? [{ code: 'DRIFT_SUSPICIOUS', severity: drift.critical.length > 0 ? 'critical' : 'warning', containerId, subject: name, message: `${name}: ${drift.reason}` } satisfies Finding]
      : []),
    ...(drift && drift.labelIgnored.length > 0
      ? [
          {
            code: 'DRIFT_LABEL_IGNORED',
            severity: 'warning',
            containerId,
            subject: name,
            message: `${name}: label watchdog.drift.allow ${drift.labelIgnored.map((g) => `"${g}"`).join(', ')} ignored (a label may only allow paths outside /etc, /bin, /sbin, /usr, /lib*, /root, /boot, and cannot negate)`,
          } satisfies Finding,
        ]
      : []),
  ]);
}

/** Containers whose drift could not be read: the check could not run for them. */
export function unreadableDriftFindings(rows: Array<{ containerId: string; name: string; error: string | null }>): Finding[] {
  return rows.flatMap((r): Finding[] => (r.error === null ? [] : [{ code: 'COLLECTOR_FAILED', severity: 'warning', containerId: r.containerId, subject: 'drift', message: `drift: ${r.name}: ${r.error}` }]));
}
