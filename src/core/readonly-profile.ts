// WRITABLE_ROOTFS (issue #13): a running container that writes only a few scratch
// folders of its own filesystem could run read-only, and the flags that would make it
// so, learnt from its drift over the checks recorded so far. Read-only, a process that
// is broken into cannot replace the container's programs, and its drift stays empty. A
// container that already runs read-only gets the blog post's gotcha instead: what it
// writes to its tmpfs mounts never shows in `docker diff`. Pure.

import { ancestorsOf } from './ancestors.js';
import { isSystemPath, type Change } from './drift.js';
import type { ContainerFacts, Finding } from './model.js';

/** What the recorded running-drift checks of one container say it changed. */
export interface DriftHistory {
  /** How many checks were recorded, and the time of the first (ISO). */
  checks: number;
  since: string;
  /** Every path changed in any of them (deduplicated). */
  changes: Change[];
  /** A check kept fewer paths than it found: the folders cannot all be known. */
  truncated: boolean;
}

/** A suggestion: the flags, and what the operator must know before using them. */
export interface ReadOnlyProfile {
  containerId: string;
  name: string;
  /** `--read-only` then one `--tmpfs DIR` per folder, sorted. */
  flags: string[];
  /** Tmpfs folders where the image already had files the container changed or deleted:
   *  a tmpfs there starts empty. */
  hidesImageFiles: string[];
  /** Tmpfs folders the image has (the container did not create them): whatever the image
   *  keeps there is hidden by the tmpfs. */
  imageFolders: string[];
  /** Its writable volumes and bind mounts, which stay writable. */
  writableMounts: string[];
  checks: number;
  since: string;
}

/** More folders than this and the container writes all over: no suggestion. */
export const MAX_TMPFS_FOLDERS = 4;

const parent = (path: string): string => path.slice(0, path.lastIndexOf('/')) || '/';

/** `path` is `dir` or lies under it. */
const within = (path: string, dir: string): boolean => dir === '/' || path === dir || path.startsWith(`${dir}/`);

/**
 * The folders a tmpfs would have to cover for these changes, outermost only. An added
 * path needs the folder its outermost added ancestor was created in (a folder created
 * at the top, /data, is itself the tmpfs: the engine makes the mount point); a changed
 * or deleted file needs its own folder, which then held files of the image. A folder
 * listed as changed only because something below it changed is no write of its own.
 * A path added at the top with nothing added under it may be a file (/app.pid), where
 * no tmpfs can go: its folder is `/`, and readOnlyProfile gives no profile.
 */
export function tmpfsFolders(changes: readonly Change[]): { folders: string[]; hidesImageFiles: string[]; imageFolders: string[] } {
  // Linear in the paths' segments: a history may hold thousands of paths, and a test of
  // each against all others took 4 s for 10,000 (the review of #13).
  const added = new Set(changes.filter((c) => c.kind === 'added').map((c) => c.path));
  const ancestors = ancestorsOf(changes.map((c) => c.path));
  const needed = new Set<string>();
  const changedImageFolders = new Set<string>();
  for (const c of changes) {
    if (c.kind === 'modified' && ancestors.has(c.path)) continue;
    if (c.kind === 'added') {
      let top = c.path;
      while (added.has(parent(top)) && parent(top) !== '/') top = parent(top);
      needed.add(parent(top) === '/' && ancestors.has(top) ? top : parent(top));
    } else if (c.kind === 'modified' && parent(c.path) === '/') {
      // `C /tmp` with nothing listed below it: files were made and removed there since
      // the container started. A top-level path is a folder (a file beside /bin and /etc
      // is rare), and the image has it (imageFolders, below), though not that the
      // container changed the image's files in it.
      needed.add(c.path);
    } else {
      needed.add(parent(c.path));
      changedImageFolders.add(parent(c.path));
    }
  }
  const outermost = (path: string): boolean => ![...ancestorsOf([path])].some((a) => needed.has(a));
  const folders = [...needed].filter(outermost).sort();
  const chosen = new Set(folders);
  // The folder a changed image file's folder falls under (itself, or an ancestor).
  const hides = new Set<string>();
  for (const folder of changedImageFolders) for (const a of [folder, ...ancestorsOf([folder])]) if (chosen.has(a)) hides.add(a);
  return { folders, hidesImageFiles: folders.filter((f) => hides.has(f)), imageFolders: folders.filter((f) => !added.has(f)) };
}

/** The read-only profile of a running container that is not read-only yet, or null when
 *  its history gives none: no check recorded, a check that kept only part of what it
 *  found, writes under `/` or a system path, or more than MAX_TMPFS_FOLDERS folders.
 *  Writes under its mounts never show in its drift. */
export function readOnlyProfile(c: ContainerFacts, history: DriftHistory | null): ReadOnlyProfile | null {
  if (c.readonlyRootfs || c.state !== 'running' || history === null || history.checks === 0 || history.truncated) return null;
  const { folders, hidesImageFiles, imageFolders } = tmpfsFolders(history.changes);
  if (folders.length > MAX_TMPFS_FOLDERS || folders.some((f) => f === '/' || isSystemPath(f))) return null;
  return {
    containerId: c.id,
    name: c.name,
    flags: ['--read-only', ...folders.flatMap((f) => ['--tmpfs', f])],
    hidesImageFiles,
    imageFolders,
    writableMounts: [...c.security.writableMounts],
    checks: history.checks,
    since: history.since,
  };
}

const list = (items: readonly string[]): string => (items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`);

/** The finding of a profile: the evidence (what it wrote, over how many checks), the
 *  exact flags, and the caveats. */
export function profileFinding(p: ReadOnlyProfile): Finding {
  const folders = p.flags.filter((_, i) => p.flags[i - 1] === '--tmpfs');
  const wrote = folders.length === 0 ? 'changed nothing in its own filesystem' : `wrote only under ${list(folders)} in its own filesystem`;
  const mounts = p.writableMounts.length > 0 ? `; its writable mounts (${p.writableMounts.join(', ')}) stay writable` : '';
  // A tmpfs starts empty: certain loss where it changed the image's files, a check to
  // make where the image has the folder.
  const hidden =
    p.hidesImageFiles.length > 0
      ? `; a tmpfs starts empty, and the image has files in ${list(p.hidesImageFiles)} that it changed: copy them in at start or mount a volume there instead`
      : p.imageFolders.length > 0
        ? `; a tmpfs starts empty: check the image keeps nothing it needs in ${list(p.imageFolders)}`
        : '';
  return {
    code: 'WRITABLE_ROOTFS',
    severity: 'info',
    containerId: p.containerId,
    subject: p.name,
    message: `${p.name}: ${wrote} over ${p.checks} drift check${p.checks === 1 ? '' : 's'} since ${p.since}: re-create it with ${p.flags.join(' ')}, so a process broken into cannot change its programs${mounts}${hidden}`,
  };
}

/** The reminder for a running container that is read-only already: its tmpfs writes are
 *  out of `docker diff`'s sight. */
export function readOnlyReminder(c: ContainerFacts): Finding | null {
  if (!c.readonlyRootfs || c.state !== 'running') return null;
  const where = c.security.tmpfs.length > 0 ? `its tmpfs mounts (${c.security.tmpfs.join(', ')})` : 'its tmpfs mounts';
  return {
    code: 'WRITABLE_ROOTFS',
    severity: 'info',
    containerId: c.id,
    subject: c.name,
    message: `${c.name}: runs read-only, so drift checks see nothing: what it writes to ${where} and its volumes never shows in docker diff; watch those paths another way (a file-integrity check inside it) if they matter`,
  };
}

/** The profiles of the running containers among these whose recorded drift allows one. */
export function readOnlyProfiles(containers: readonly ContainerFacts[], historyOf: (id: string) => DriftHistory | null): ReadOnlyProfile[] {
  return containers.flatMap((c) => {
    const profile = c.state === 'running' && !c.readonlyRootfs ? readOnlyProfile(c, historyOf(c.id)) : null;
    return profile ? [profile] : [];
  });
}
