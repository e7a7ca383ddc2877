import { describe, expect, it } from 'vitest';
import { pathsToArchive } from '../../src/act/forensics.js';
import { allowFor, changesFrom, classifyDrift, driftFindings, isSystemPath, refuseLabelGlob } from '../../src/core/drift.js';

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

describe('the watchdog.drift.allow label (issue #9, defect 8)', () => {
  // A container that rewrote passwd and labelled itself to be let off.
  const intrusion = changesFrom([{ Path: '/etc', Kind: 0 }, { Path: '/etc/passwd', Kind: 0 }, { Path: '/usr/bin/passwd', Kind: 0 }, { Path: '/root/.ash_history', Kind: 1 }, { Path: '/lib64/x.so', Kind: 1 }]);
  const HOSTILE = ['/**', '**', '/*', '*', '/*/**', '!/etc/**', '/tmp/**,!/etc/**', '/{etc,tmp}/**', '/e*/**', '/[e]tc/**', '/?tc/**', '/@(etc)/**', '/+(etc)/**', '/\\etc/**', '/etc/**', '/usr/bin/*', '/lib64/**', '/libexec/**', '/root', '/boot/**', 'etc/**', '/./etc/**', '/../etc/**', '/tmp/../etc/**', '//etc/**'];

  it.each(HOSTILE)('refuses %j, and still holds the intrusion as critical', (glob) => {
    const drift = classifyDrift(intrusion, allowFor(ALLOW, { 'watchdog.drift.allow': glob }), false);
    expect(drift).toMatchObject({ status: 'suspicious', reason: expect.stringMatching(/^changes to system paths: /) });
    expect(drift.critical.map((c) => c.path)).toEqual(['/etc/passwd', '/usr/bin/passwd', '/root/.ash_history', '/lib64/x.so']);
    expect(drift.labelIgnored.length).toBeGreaterThan(0);
  });

  it('names the container and each refused glob in a DRIFT_LABEL_IGNORED warning, beside the critical DRIFT_SUSPICIOUS', () => {
    const drift = classifyDrift(intrusion, allowFor(ALLOW, { 'watchdog.drift.allow': '/data/**, /**, !/etc/**' }), false);
    expect(drift.labelIgnored).toEqual(['/**', '!/etc/**']);
    const findings = driftFindings([{ containerId: 'id-x', name: 'x', drift }]);
    expect(findings.map((f) => [f.code, f.severity, f.containerId, f.subject])).toEqual([
      ['DRIFT_SUSPICIOUS', 'critical', 'id-x', 'x'],
      ['DRIFT_LABEL_IGNORED', 'warning', 'id-x', 'x'],
    ]);
    expect(findings[1]!.message).toContain('"/**", "!/etc/**"');
    // Even a clean container (or a read-only one) is told its label was refused.
    const clean = classifyDrift([], allowFor(ALLOW, { 'watchdog.drift.allow': '**' }), true);
    expect(driftFindings([{ containerId: 'id-y', name: 'y', drift: clean }]).map((f) => f.code)).toEqual(['DRIFT_LABEL_IGNORED']);
  });

  it('accepts globs under a literal first directory that is not a system one', () => {
    for (const glob of ['/data/**', '/srv/app/*.log', '/var/cache/**', '/opt/{a,b}/**', '/home/*/.cache/**', '/library-not/x', '/data']) {
      expect(refuseLabelGlob(glob), glob).toBe(glob.startsWith('/library') ? 'a system directory' : null);
    }
    const drift = classifyDrift(changesFrom([{ Path: '/opt/a/x', Kind: 1 }]), allowFor(ALLOW, { 'watchdog.drift.allow': '/opt/a/**' }), false);
    expect(drift).toMatchObject({ status: 'clean', labelIgnored: [] });
  });

  it('never lets a label glob allow a system path, even one it accepted', () => {
    // Accepted (its first directory is /data), and a system path cannot match it: the
    // rule holds for the classification itself, not only for the glob check.
    const changes = changesFrom([{ Path: '/etc/passwd', Kind: 0 }]);
    expect(classifyDrift(changes, { policy: [], label: ['/**'], ignored: [] }, false).critical.map((c) => c.path)).toEqual(['/etc/passwd']);
    // The administrator's drift.allow still may.
    expect(classifyDrift(changes, { policy: ['/etc/**'], label: [], ignored: [] }, false).status).toBe('clean');
  });
});

describe('hostile paths (issue #9, defect 9)', () => {
  it('calls a system path critical on its raw bytes, whatever characters the name holds', () => {
    for (const path of ['/root/a\nb', '/etc/\n', '/usr/bin/a\rb', '/lib/x\u001b[2Jy', '/root', '/lib64', '/libexec/x', '/boot/\u2028']) expect(isSystemPath(path), JSON.stringify(path)).toBe(true);
    for (const path of ['/etcetera/x', '/tmp/etc/passwd', '/srv/root', 'etc/passwd', '/', '/li\nb/x', '/etc\n/x']) expect(isSystemPath(path), JSON.stringify(path)).toBe(false);
    const drift = classifyDrift(changesFrom([{ Path: '/root/a\nb', Kind: 1 }]), ALLOW, false);
    expect(drift).toMatchObject({ status: 'suspicious', critical: [{ path: '/root/a\nb', kind: 'added' }] });
    expect(driftFindings([{ containerId: 'i', name: 'n', drift }])[0]!.severity).toBe('critical');
  });

  it('lets an allow glob match a control character in a file name', () => {
    const changes = changesFrom(['/tmp/a\nb', '/tmp/c\rd', '/tmp/e\u001bf', '/tmp/\n/g', '/var/tmp/\u0000x'].map((Path) => ({ Path, Kind: 1 })));
    expect(classifyDrift(changes, ALLOW, false)).toMatchObject({ status: 'clean' });
    expect(classifyDrift(changesFrom([{ Path: '/data/a\nb', Kind: 1 }]), allowFor(ALLOW, { 'watchdog.drift.allow': '/data/*' }), false)).toMatchObject({ status: 'clean' });
  });
});

describe('pathsToArchive', () => {
  it('takes changed files and added trees once, not the directories above them, not deleted paths', () => {
    const changes = [...benign, ...changesFrom([{ Path: '/usr', Kind: 0 }, { Path: '/usr/bin', Kind: 0 }, { Path: '/usr/bin/passwd', Kind: 0 }, { Path: '/etc/shadow', Kind: 2 }])];
    expect(pathsToArchive(changes)).toEqual(['/tmp/ok', '/var/tmp/d', '/run/pid', '/usr/bin/passwd']);
  });
});
