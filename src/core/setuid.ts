// SETUID_DRIFT (issue #13): a file a container added or changed in its own layer with
// the setuid or setgid bit, the way an intruder keeps root (`chmod 4755` on a copy of
// a shell). `docker diff` gives no modes: the engine's stat of each path does
// (HEAD /containers/{id}/archive, header X-Docker-Container-Path-Stat), read by
// engine/client.ts and collect/modes.ts. Pure: which paths to ask about, what the
// answers mean, and the finding.

import { ancestorsOf } from './ancestors.js';
import type { Change } from './drift.js';
import type { Finding } from './model.js';

// Go's os.FileMode bits (the engine marshals the mode of os.Lstat as is): the type and
// special bits sit at the top of a uint32, the permission bits in the low 9.
export const GO_MODE_DIR = 2 ** 31;
export const GO_MODE_SYMLINK = 2 ** 27;
export const GO_MODE_SETUID = 2 ** 23;
export const GO_MODE_SETGID = 2 ** 22;
export const GO_MODE_STICKY = 2 ** 20;

/** The JSON the engine puts, base64-encoded, in X-Docker-Container-Path-Stat (moby's
 *  types.ContainerPathStat). */
export interface PathStat {
  name: string;
  size: number;
  /** Go's os.FileMode. */
  mode: number;
  mtime: string;
  linkTarget: string;
}

// Go FileMode bits above 2^31 do not fit JavaScript's signed 32-bit bitwise operators:
// tested by division instead.
const has = (mode: number, bit: number): boolean => Math.floor(mode / bit) % 2 === 1;

export type SpecialBit = 'setuid' | 'setgid';

/** The special bits that matter here. A directory's setgid bit only makes new files
 *  inherit its group (common, and harmless), and a symbolic link's mode is not the
 *  target's: only files count. */
export function specialBits(mode: number): SpecialBit[] {
  if (has(mode, GO_MODE_DIR) || has(mode, GO_MODE_SYMLINK)) return [];
  return [...(has(mode, GO_MODE_SETUID) ? (['setuid'] as const) : []), ...(has(mode, GO_MODE_SETGID) ? (['setgid'] as const) : [])];
}

/** The mode as chmod takes it: the special bits, then the permission bits, e.g. 4755. */
export function octalMode(mode: number): string {
  const special = (has(mode, GO_MODE_SETUID) ? 4 : 0) + (has(mode, GO_MODE_SETGID) ? 2 : 0) + (has(mode, GO_MODE_STICKY) ? 1 : 0);
  return `${special}${(mode % 0o1000).toString(8).padStart(3, '0')}`;
}

/** One file with the setuid or setgid bit. */
export interface SetuidFile {
  path: string;
  /** Go's os.FileMode, as the engine gave it. */
  mode: number;
  bits: SpecialBit[];
}

/** What the mode check of one container found. */
export interface ModeCheck {
  /** The setuid and setgid files among the paths checked, in `docker diff` order. */
  setuid: SetuidFile[];
  /** Paths that were checked. */
  checked: number;
  /** Paths that were not, past drift.maxModeChecks. */
  unchecked: number;
  /** drift.maxModeChecks when it was checked, for the sentence that says what was not. */
  limit: number;
}

/**
 * The paths whose mode is worth asking: each added or modified one (a deleted one has
 * none) that is not a directory. A path with anything listed beneath it is a directory
 * (`docker diff` lists /usr and /usr/local when /usr/local/x is added), and a
 * directory's special bits do not count (see specialBits): asking would only take the
 * container's lock once more. Unlike forensics' pathsToArchive, a path under an added
 * directory is kept: a tar of the directory holds it, a stat does not.
 */
export function modeCandidates(changes: Change[]): string[] {
  const directories = ancestorsOf(changes.map((c) => c.path));
  return changes.filter((c) => c.kind !== 'deleted' && !directories.has(c.path)).map((c) => c.path);
}

/** The mode check's result from each path's mode (null: gone since `docker diff`). */
export function modeCheck(modes: ReadonlyMap<string, number | null>, unchecked: number, limit: number): ModeCheck {
  const setuid: SetuidFile[] = [];
  for (const [path, mode] of modes) {
    const bits = mode === null ? [] : specialBits(mode);
    if (mode !== null && bits.length > 0) setuid.push({ path, mode, bits });
  }
  return { setuid, checked: modes.size, unchecked, limit };
}

export const describeSetuid = (f: SetuidFile): string => `${f.path} ${octalMode(f.mode)} (${f.bits.join(', ')})`;

/** The files shown in one sentence: at most 3, then how many more. */
export function setuidEvidence(files: SetuidFile[]): string {
  return `${files.slice(0, 3).map(describeSetuid).join(', ')}${files.length > 3 ? ` and ${files.length - 3} more` : ''}`;
}

/**
 * SETUID_DRIFT of one container: critical with the files (a root shell kept inside
 * it); info when none was found but some paths were not checked (drift.maxModeChecks),
 * so a cap is never silent. None otherwise.
 */
export function setuidFindings(containerId: string, name: string, check: ModeCheck | undefined): Finding[] {
  if (!check) return [];
  const notChecked = check.unchecked > 0 ? `; ${check.unchecked} more changed path${check.unchecked === 1 ? ' was' : 's were'} not checked (drift.maxModeChecks ${check.limit})` : '';
  if (check.setuid.length > 0) {
    const bits = new Set(check.setuid.flatMap((f) => f.bits));
    const what = bits.size === 2 ? 'setuid or setgid' : [...bits][0]!;
    return [
      {
        code: 'SETUID_DRIFT',
        severity: 'critical',
        containerId,
        subject: name,
        setuidFiles: check.setuid.length,
        ...(check.unchecked > 0 ? { modesUnchecked: check.unchecked } : {}),
        message: `${name}: ${what} file${check.setuid.length === 1 ? '' : 's'} written in its own filesystem: ${setuidEvidence(check.setuid)}${notChecked}; keep its forensic bundle (watchdog drift ${name}), re-create the container from its image, and find who wrote ${check.setuid.length === 1 ? 'it' : 'them'} (its log, its image's entrypoint, who may exec into it)`,
      },
    ];
  }
  if (check.unchecked === 0) return [];
  return [
    {
      code: 'SETUID_DRIFT',
      severity: 'info',
      containerId,
      subject: name,
      setuidFiles: 0,
      modesUnchecked: check.unchecked,
      message: `${name}: none of the ${check.checked} changed paths checked has the setuid or setgid bit, but ${check.unchecked} more ${check.unchecked === 1 ? 'was' : 'were'} not checked (drift.maxModeChecks ${check.limit}); raise drift.maxModeChecks to check them all (each costs one request to the engine)`,
    },
  ];
}
