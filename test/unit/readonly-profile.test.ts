// WRITABLE_ROOTFS (issue #13): the folders a tmpfs must cover, learnt from drift, and the
// profile and reminder findings.

import { describe, expect, it } from 'vitest';
import type { Change } from '../../src/core/drift.js';
import { profileFinding, readOnlyProfile, readOnlyReminder, tmpfsFolders } from '../../src/core/readonly-profile.js';
import { facts, security } from '../helpers/facts.js';

const A = (path: string): Change => ({ path, kind: 'added' });
const C = (path: string): Change => ({ path, kind: 'modified' });
const D = (path: string): Change => ({ path, kind: 'deleted' });

const history = (changes: Change[], checks = 3) => ({ checks, since: '2026-11-29T10:00:00.000Z', changes, truncated: false });
const running = (parts: Parameters<typeof facts>[0] = {}) => facts({ id: 'c1', name: 'web', state: 'running', ...parts });

describe('tmpfsFolders', () => {
  it('needs the folder a file was added in, not the folder docker diff lists as changed above it', () => {
    // `docker diff` of `touch /tmp/a; mkdir -p /run/app; touch /run/app/pid` on an image with /tmp and /run.
    expect(tmpfsFolders([C('/tmp'), A('/tmp/a'), C('/run'), A('/run/app'), A('/run/app/pid')])).toEqual({ folders: ['/run', '/tmp'], hidesImageFiles: [], imageFolders: ['/run', '/tmp'] });
  });

  it('makes a folder created at the top its own tmpfs (the engine makes the mount point)', () => {
    expect(tmpfsFolders([A('/data'), A('/data/x'), A('/data/y/z')])).toEqual({ folders: ['/data'], hidesImageFiles: [], imageFolders: [] });
  });

  it("needs a changed or deleted file's own folder, and says the image had files there", () => {
    expect(tmpfsFolders([C('/var'), C('/var/cache'), C('/var/cache/app'), C('/var/cache/app/index'), D('/var/cache/app/old')])).toEqual({ folders: ['/var/cache/app'], hidesImageFiles: ['/var/cache/app'], imageFolders: ['/var/cache/app'] });
  });

  it('keeps only the outermost of nested folders', () => {
    expect(tmpfsFolders([C('/run'), A('/run/x'), C('/run/lock'), A('/run/lock/y')]).folders).toEqual(['/run']);
  });

  it('takes a top-level folder listed as changed with nothing below it for a folder whose files came and went (`C /tmp`)', () => {
    expect(tmpfsFolders([C('/tmp')])).toEqual({ folders: ['/tmp'], hidesImageFiles: [], imageFolders: ['/tmp'] });
    expect(tmpfsFolders([C('/tmp'), C('/run'), A('/run/x')])).toEqual({ folders: ['/run', '/tmp'], hidesImageFiles: [], imageFolders: ['/run', '/tmp'] });
  });

  it('stays linear: 20,000 paths in one folder', () => {
    const many = [C('/tmp'), ...Array.from({ length: 20_000 }, (_, i) => A(`/tmp/session-${i}`))];
    expect(tmpfsFolders(many).folders).toEqual(['/tmp']);
  });

  it('is empty for no changes', () => {
    expect(tmpfsFolders([])).toEqual({ folders: [], hidesImageFiles: [], imageFolders: [] });
  });
});

describe('readOnlyProfile', () => {
  it('gives the exact flags, sorted, for a container that writes only /tmp and /run', () => {
    const p = readOnlyProfile(running(), history([C('/tmp'), A('/tmp/a'), A('/run'), A('/run/b')]));
    expect(p?.flags).toEqual(['--read-only', '--tmpfs', '/run', '--tmpfs', '/tmp']);
    expect(profileFinding(p!)).toEqual({
      code: 'WRITABLE_ROOTFS',
      severity: 'info',
      containerId: 'c1',
      subject: 'web',
      // /run it created itself; /tmp the image has.
      message: 'web: wrote only under /run and /tmp in its own filesystem over 3 drift checks since 2026-11-29T10:00:00.000Z: re-create it with --read-only --tmpfs /run --tmpfs /tmp, so a process broken into cannot change its programs; a tmpfs starts empty: check the image keeps nothing it needs in /tmp',
    });
  });

  it('names its writable mounts, which stay writable, and the folders where a tmpfs hides image files', () => {
    const p = readOnlyProfile(running({ security: security({ writableMounts: ['/data'] }) }), history([C('/var'), C('/var/lib'), C('/var/lib/app'), C('/var/lib/app/state')], 1))!;
    expect(p.flags).toEqual(['--read-only', '--tmpfs', '/var/lib/app']);
    expect(profileFinding(p).message).toBe(
      'web: wrote only under /var/lib/app in its own filesystem over 1 drift check since 2026-11-29T10:00:00.000Z: re-create it with --read-only --tmpfs /var/lib/app, so a process broken into cannot change its programs; its writable mounts (/data) stay writable; a tmpfs starts empty, and the image has files in /var/lib/app that it changed: copy them in at start or mount a volume there instead',
    );
  });

  it('is --read-only alone for a container that changed nothing', () => {
    expect(readOnlyProfile(running(), history([]))?.flags).toEqual(['--read-only']);
  });

  it('gives none without a recorded check, for a container that is not running or is read-only already', () => {
    expect(readOnlyProfile(running(), null)).toBeNull();
    expect(readOnlyProfile(running(), history([], 0))).toBeNull();
    expect(readOnlyProfile(running({ state: 'exited' }), history([]))).toBeNull();
    expect(readOnlyProfile(running({ readonlyRootfs: true }), history([]))).toBeNull();
    // A check that kept only part of what it found: the folders are not all known.
    expect(readOnlyProfile(running(), { ...history([C('/tmp'), A('/tmp/a')]), truncated: true })).toBeNull();
  });

  it('gives none for writes under a system path, at the top, or in more than four folders', () => {
    expect(readOnlyProfile(running(), history([C('/etc'), A('/etc/x')]))).toBeNull();
    expect(readOnlyProfile(running(), history([C('/usr'), C('/usr/local'), A('/usr/local/x')]))).toBeNull();
    expect(readOnlyProfile(running(), history([D('/motd')]))).toBeNull();
    const folders = (names: string[]) => names.flatMap((n) => [A(n), A(`${n}/x`)]);
    expect(readOnlyProfile(running(), history(folders(['/a', '/b', '/c', '/d', '/e'])))).toBeNull();
    expect(readOnlyProfile(running(), history(folders(['/a', '/b', '/c', '/d'])))?.flags).toHaveLength(9);
    // Added at the top with nothing under it: maybe a file, where no tmpfs can go.
    expect(readOnlyProfile(running(), history([A('/app.pid')]))).toBeNull();
  });
});

describe('readOnlyReminder', () => {
  it('tells a read-only running container that its tmpfs writes are out of drift’s sight', () => {
    expect(readOnlyReminder(running({ readonlyRootfs: true, security: security({ tmpfs: ['/run', '/tmp'] }) }))?.message).toBe(
      'web: runs read-only, so drift checks see nothing: what it writes to its tmpfs mounts (/run, /tmp) and its volumes never shows in docker diff; watch those paths another way (a file-integrity check inside it) if they matter',
    );
    expect(readOnlyReminder(running())).toBeNull();
    expect(readOnlyReminder(running({ readonlyRootfs: true, state: 'exited' }))).toBeNull();
  });
});
