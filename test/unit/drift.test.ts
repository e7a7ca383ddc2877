import { describe, expect, it } from 'vitest';
import { pathsToArchive } from '../../src/act/forensics.js';
import { allowFor, changesFrom, classifyDrift } from '../../src/core/drift.js';

const ALLOW = ['/tmp/**', '/run/**', '/var/run/**', '/var/tmp/**'];
// What `docker diff` said of a container that wrote under /tmp, /var/tmp and /run.
const benign = changesFrom([
  { Path: '/tmp', Kind: 0 },
  { Path: '/tmp/ok', Kind: 1 },
  { Path: '/var', Kind: 0 },
  { Path: '/var/tmp', Kind: 0 },
  { Path: '/var/tmp/d', Kind: 1 },
  { Path: '/var/tmp/d/f', Kind: 1 },
  { Path: '/run', Kind: 0 },
  { Path: '/run/pid', Kind: 1 },
]);

describe('classifyDrift', () => {
  it('is clean when only allowed paths changed, ignoring the directories above them', () => {
    expect(classifyDrift(benign, ALLOW, false)).toMatchObject({ status: 'clean', outside: [], reason: 'changes only in allowed paths' });
    expect(classifyDrift([], ALLOW, false)).toMatchObject({ status: 'clean', reason: 'no changes' });
  });

  it('calls out changes to system paths as critical', () => {
    const changes = [...benign, ...changesFrom([{ Path: '/usr', Kind: 0 }, { Path: '/usr/bin', Kind: 0 }, { Path: '/usr/bin/passwd', Kind: 0 }, { Path: '/srv/x', Kind: 1 }, { Path: '/etc/shadow', Kind: 2 }])];
    const drift = classifyDrift(changes, ALLOW, false);
    expect(drift.status).toBe('suspicious');
    expect(drift.outside.map((c) => c.path)).toEqual(['/usr/bin/passwd', '/srv/x', '/etc/shadow']);
    expect(drift.critical.map((c) => c.path)).toEqual(['/usr/bin/passwd', '/etc/shadow']);
    expect(drift.reason).toBe('changes to system paths: C /usr/bin/passwd, D /etc/shadow');
  });

  it('takes extra allowed paths from the watchdog.drift.allow label', () => {
    const changes = changesFrom([{ Path: '/data', Kind: 0 }, { Path: '/data/cache', Kind: 1 }]);
    expect(classifyDrift(changes, ALLOW, false).status).toBe('suspicious');
    expect(classifyDrift(changes, allowFor(ALLOW, { 'watchdog.drift.allow': '/data/**, /srv/**' }), false).status).toBe('clean');
  });

  it('says "not applicable", not "clean", for a read-only root filesystem', () => {
    expect(classifyDrift([], ALLOW, true)).toMatchObject({ status: 'not-applicable' });
  });
});

describe('pathsToArchive', () => {
  it('takes changed files and added trees once, not the directories above them, not deleted paths', () => {
    const changes = [...benign, ...changesFrom([{ Path: '/usr', Kind: 0 }, { Path: '/usr/bin', Kind: 0 }, { Path: '/usr/bin/passwd', Kind: 0 }, { Path: '/etc/shadow', Kind: 2 }])];
    expect(pathsToArchive(changes)).toEqual(['/tmp/ok', '/var/tmp/d', '/run/pid', '/usr/bin/passwd']);
  });
});
