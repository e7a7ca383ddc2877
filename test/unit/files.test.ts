// The footprint's walk against du(1) on the same files: every inode once, hard links
// and paths given twice included, symlinks not followed (issue #14 changed which
// inodes the walk remembers; du is the reference an operator checks it with). GNU du:
// busybox's has no --inodes.

import { execFileSync } from 'node:child_process';
import { linkSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { measureTree } from '../../src/collect/files.js';
import { measureFootprint } from '../../src/collect/footprint.js';

const dir = mkdtempSync(join(tmpdir(), 'wd-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** du's bytes and inodes over `paths`, as one command counts them (each inode once). */
function du(...paths: string[]): { bytes: number; inodes: number } {
  const total = (args: string[]) => Number(execFileSync('du', ['-s', '-c', ...args, ...paths], { encoding: 'utf8' }).trim().split('\n').at(-1)!.split('\t')[0]);
  return { bytes: total(['--block-size=1']), inodes: total(['--inodes']) };
}

function tree(name: string): string {
  const root = join(dir, name);
  mkdirSync(join(root, 'etc', 'deep'), { recursive: true });
  writeFileSync(join(root, 'etc', 'big'), Buffer.alloc(40_000, 1));
  writeFileSync(join(root, 'etc', 'deep', 'small'), 'x');
  writeFileSync(join(root, 'empty'), '');
  symlinkSync('/etc/passwd', join(root, 'link'));
  return root;
}

describe('measureTree and measureFootprint', () => {
  it('count a plain tree as du does, the symlink itself and not its target', () => {
    const root = tree('plain');
    expect(measureTree(root)).toEqual(du(root));
  });

  it('count a file with two names in one tree once', () => {
    const root = tree('linked');
    linkSync(join(root, 'etc', 'big'), join(root, 'etc', 'deep', 'big-again'));
    const measured = measureTree(root)!;
    expect(measured).toEqual(du(root));
    expect(measured).toEqual(measureTree(tree('unlinked')));
  });

  it('count a file linked from two of the paths once, and a path given twice once', () => {
    const first = tree('first');
    const second = join(dir, 'second');
    mkdirSync(second);
    linkSync(join(first, 'etc', 'big'), join(second, 'shared'));
    expect(measureFootprint([first, second])).toEqual(du(first, second));
    expect(measureFootprint([first, first])).toEqual(du(first));
    // A folder inside another path is counted within that path only.
    expect(measureFootprint([first, join(first, 'etc')])).toEqual(du(first));
    // A file or a symlink given twice, as footprintPaths gives overlay2's links.
    expect(measureFootprint([join(first, 'empty'), join(first, 'empty')])).toEqual(du(join(first, 'empty')));
    expect(measureFootprint([join(first, 'link'), join(first, 'link')])).toEqual(du(join(first, 'link')));
  });

  it('say null for a path that does not exist, and leave a missing later path out', () => {
    const root = tree('alone');
    expect(measureTree(join(dir, 'nothing-here'))).toBeNull();
    expect(measureFootprint([join(dir, 'nothing-here'), root])).toBeNull();
    expect(measureFootprint([root, join(dir, 'nothing-here')])).toEqual(du(root));
  });
});
