// The systemd units, checked by systemd itself: `systemd-analyze verify` must accept
// them without a word, and the services' exposure must stay low.

import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it, onTestFinished } from 'vitest';
import { BIN } from '../helpers/cli.js';

const exec = promisify(execFile);
const SYSTEMD = fileURLToPath(new URL('../../systemd/', import.meta.url));

/** The units with ExecStart pointing at this checkout's binary, which verify checks;
 *  removed when the test ends. */
function unitsHere(): string {
  const dir = mkdtempSync(join(tmpdir(), 'wd-units-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  for (const unit of ['docker-watchdog.service', 'docker-watchdog-failure.service', 'docker-watchdog-watch.service']) {
    const text = readFileSync(join(SYSTEMD, unit), 'utf8');
    expect(text).toMatch(/^ExecStart=\/usr\/local\/bin\/watchdog /m);
    writeFileSync(join(dir, unit), text.replace('/usr/local/bin/watchdog', `${process.execPath} ${BIN}`));
  }
  writeFileSync(join(dir, 'docker-watchdog.timer'), readFileSync(join(SYSTEMD, 'docker-watchdog.timer')));
  return dir;
}

/** What a unit finally sets `key` to: a later line overrides an earlier one. */
function setting(unit: string, key: string): string | undefined {
  const text = readFileSync(join(SYSTEMD, unit), 'utf8');
  return [...text.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].at(-1)?.[1];
}

describe('systemd units', () => {
  it('pass systemd-analyze verify without warnings', async () => {
    const dir = unitsHere();
    const { stdout, stderr } = await exec('systemd-analyze', ['verify', '--man=no', 'docker-watchdog.service', 'docker-watchdog.timer', 'docker-watchdog-failure.service', 'docker-watchdog-watch.service'], { cwd: dir });
    expect(stdout + stderr).toBe('');
  });

  it('run every 5 minutes, persistently, with a randomized delay', () => {
    const timer = readFileSync(join(SYSTEMD, 'docker-watchdog.timer'), 'utf8');
    expect(timer).toMatch(/^OnCalendar=\*:0\/5$/m);
    expect(timer).toMatch(/^Persistent=true$/m);
    expect(timer).toMatch(/^RandomizedDelaySec=\d+$/m);
  });

  it.each([
    ['docker-watchdog.service', 4.0],
    ['docker-watchdog-failure.service', 4.0],
    // The daemon runs all the time, so it gets the stricter bar (issue #11).
    ['docker-watchdog-watch.service', 2.5],
  ])('keep the exposure of %s below %s (systemd-analyze security --offline)', async (unit, limit) => {
    const dir = unitsHere();
    const { stdout } = await exec('systemd-analyze', ['security', '--offline=true', '--no-pager', unit], { cwd: dir }).catch((e: { stdout: string }) => e);
    const score = Number(new RegExp(`Overall exposure level for ${unit.replace(/\./g, '\\.')}: ([\\d.]+)`).exec(stdout)?.[1]);
    console.log(`systemd-analyze security --offline=true ${unit}: exposure ${score}`);
    expect(score).toBeLessThan(limit);
  });

  it('run the daemon until stopped, restart it after a crash, reload it on SIGHUP', () => {
    const unit = 'docker-watchdog-watch.service';
    expect(setting(unit, 'ExecStart')).toBe('/usr/local/bin/watchdog watch');
    expect(setting(unit, 'Type')).toMatch(/^(simple|exec)$/);
    expect(setting(unit, 'Restart')).toBe('on-failure');
    expect(setting(unit, 'ExecReload')).toBe('/bin/kill -HUP $MAINPID');
    // The daemon exits 143 (130) after unpausing what it paused: a clean stop.
    expect(setting(unit, 'SuccessExitStatus')?.split(' ').sort()).toEqual(['130', '143']);
    expect(setting(unit, 'KillSignal')).toBe('SIGTERM');
    // Time for the daemon's own 10 s to end before systemd's SIGKILL.
    expect(setting(unit, 'TimeoutStopSec')).toBe('15s');
    // Both may run: the daemon's lease makes the timer's check only report.
    expect(setting(unit, 'Conflicts')).toBeUndefined();
  });

  it('mail when the check fails', () => {
    expect(readFileSync(join(SYSTEMD, 'docker-watchdog.service'), 'utf8')).toMatch(/^OnFailure=docker-watchdog-failure\.service$/m);
    expect(readFileSync(join(SYSTEMD, 'docker-watchdog-failure.service'), 'utf8')).toMatch(/^ExecStart=\/usr\/local\/bin\/watchdog alert failure docker-watchdog\.service$/m);
  });
});
