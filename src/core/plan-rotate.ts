// Which logs to rotate, each with the reason it will or will not be. Pure: the snapshot
// and the policy come in, a plan goes out; `watchdog rotate --dry-run` prints exactly
// this, and the rotation applies exactly this (re-checking each item first). Decisions
// are codes; the reason is their text, for people.

import prettyBytes from 'pretty-bytes';
import type { ContainerFacts } from './model.js';
import { isExited } from './model.js';

export type RotationCode =
  /** rotate: */
  | 'over-limit'
  | 'asked'
  /** keep: */
  | 'not-json-file'
  | 'engine-rotates'
  | 'unreadable'
  | 'busy'
  | 'not-running'
  | 'empty'
  | 'within-limit';

export interface RotationItem {
  containerId: string;
  name: string;
  action: 'rotate' | 'keep';
  code: RotationCode;
  reason: string;
  logPath: string | null;
  bytes: number | null;
}

/** What to rotate: the containers named (rotated whatever their size), or every live log
 *  over maxSize, of running containers only when the timer asks (their logs grow). */
export type RotationSelection = { named: ContainerFacts[] } | { overLimit: true; runningOnly: boolean };

/** The one sentence for a log over the limit, whether a plan or the daemon found it. */
const overLimitReason = (bytes: number, maxSize: number) => `rotate: log ${prettyBytes(bytes)} is over logs.maxSize ${prettyBytes(maxSize)}`;

type RotationSubject = Pick<RotationItem, 'containerId' | 'name' | 'logPath' | 'bytes'>;

/** Every field named, in the order the JSON shows them: a spread of the subject gave each
 *  of 10,000 items a hidden class of its own (1.9 MB of V8 descriptor arrays in a heap
 *  snapshot of `check`; issue #14). */
function rotationItem(subject: RotationSubject, action: RotationItem['action'], code: RotationCode, reason: string): RotationItem {
  return { containerId: subject.containerId, name: subject.name, logPath: subject.logPath, bytes: subject.bytes, action, code, reason };
}

function decide(c: ContainerFacts, maxSize: number, asked: boolean, runningOnly: boolean): RotationItem {
  const item = { containerId: c.id, name: c.name, logPath: c.logPath, bytes: c.logFiles?.bytes ?? null };
  const keep = (code: RotationCode, why: string): RotationItem => rotationItem(item, 'keep', code, `kept: ${why}`);
  if (c.logConfig.driver !== 'json-file') return keep('not-json-file', `log driver ${c.logConfig.driver} writes no json-file log here`);
  // The engine reopens a log it rotates itself without O_APPEND: truncating it from
  // outside would leave NUL bytes and break `docker logs` (docs/architecture.md).
  if (c.logConfig.bounded) return keep('engine-rotates', `the engine rotates this log itself (max-size ${prettyBytes(c.logConfig.maxSizeBytes ?? 0)}); truncating it would corrupt it`);
  if (!c.logFiles) return keep('unreadable', 'its log file is not readable from here');
  if (c.state === 'restarting' || c.state === 'removing') return keep('busy', `it is ${c.state}`);
  // The timer leaves stopped containers' logs alone: they do not grow, and one that is
  // suspicious must reach its forensic bundle whole (issue #4).
  if (runningOnly && isExited(c.state)) return keep('not-running', `${c.state}: its log does not grow (watchdog rotate ${c.name} does it by hand)`);
  const size = prettyBytes(c.logFiles.liveBytes);
  if (c.logFiles.liveBytes === 0) return keep('empty', 'its log is empty');
  if (asked) return rotationItem(item, 'rotate', 'asked', `rotate: asked for, log ${size}`);
  if (c.logFiles.liveBytes <= maxSize) return keep('within-limit', `log ${size} is within logs.maxSize ${prettyBytes(maxSize)}`);
  return rotationItem(item, 'rotate', 'over-limit', overLimitReason(c.logFiles.liveBytes, maxSize));
}

export function planRotations(containers: ContainerFacts[], maxSize: number, selection: RotationSelection): RotationItem[] {
  if ('named' in selection) return selection.named.map((c) => decide(c, maxSize, true, false));
  return containers.map((c) => decide(c, maxSize, false, selection.runningOnly));
}

/** The daemon's item (issue #11): a watched log seen over maxSize. Its driver, bounds and
 *  state were read when it started to be watched, and act/rotate.ts reads them again
 *  just before it acts. */
export function crossedLimit(log: { containerId: string; name: string; logPath: string; bytes: number }, maxSize: number): RotationItem {
  return rotationItem(log, 'rotate', 'over-limit', overLimitReason(log.bytes, maxSize));
}
