// The runtime folder (files/runtime.ts): where it is, the refusal of one in /dev/shm
// that another user made (issue #9), and the names it keeps per path.

import { createHash } from 'node:crypto';
import { chmodSync, chownSync, mkdirSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { pathKey, runtimeDir, runtimeDirProblem } from '../../src/files/runtime.js';

const uid = 4242;
const shm = `/dev/shm/docker-watchdog-${uid}`;

afterEach(() => rmSync(shm, { recursive: true, force: true }));

describe('runtime folder', () => {
  it('is /run for root, the user runtime folder for others, else a folder of their own in /dev/shm', () => {
    expect(runtimeDir({}, 0)).toBe('/run/docker-watchdog');
    expect(runtimeDir({ XDG_RUNTIME_DIR: '/run/user/4242' }, uid)).toBe('/run/user/4242/docker-watchdog');
    expect(runtimeDir({}, uid)).toBe(shm);
    expect(runtimeDir({ WATCHDOG_RUNTIME_DIR: '/tmp/x' }, uid)).toBe('/tmp/x');
  });

  it.skipIf(process.getuid?.() !== 0)('refuses a /dev/shm folder another user made, or one others may write', () => {
    expect(runtimeDirProblem({}, uid)).toBeNull(); // not made yet
    mkdirSync(shm, { mode: 0o700 });
    expect(runtimeDirProblem({}, uid)).toBe(`the runtime folder ${shm} is not this user's own (owner uid 0, mode 700)`);
    chownSync(shm, uid, uid);
    expect(runtimeDirProblem({}, uid)).toBeNull();
    chmodSync(shm, 0o777);
    expect(runtimeDirProblem({}, uid)).toBe(`the runtime folder ${shm} is not this user's own (owner uid ${uid}, mode 777)`);
    // Elsewhere the folder is the user's or root's alone: not checked.
    expect(runtimeDirProblem({ XDG_RUNTIME_DIR: '/run/user/4242' }, uid)).toBeNull();
  });

  // A daemon started by an older version holds its lease, and runs their stand-in lock,
  // under these names (node:crypto's SHA-256 then): a new one must find them there.
  it('names a path as every version did: the start of the SHA-256 of its absolute form', () => {
    expect(pathKey('/var/lib/docker-watchdog/state.db')).toBe('48198f6eff137169');
    expect(pathKey('/run/docker.sock')).toBe('dd6a1a9c0520fb17');
    expect(pathKey('/srv/état/store.db')).toBe('2993cd671e306bd4');
    for (const path of ['state.db', '../x/./y.db', '/srv/état/../store.db']) {
      expect(pathKey(path)).toBe(createHash('sha256').update(resolve(path)).digest('hex').slice(0, 16));
    }
  });
});
