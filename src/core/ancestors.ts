// Which paths of a `docker diff` are directories of other listed paths (issue #13). The
// engine lists /var and /var/tmp as modified when /var/tmp/x is added: such a directory
// is no change of its own (drift, the running-drift record, the read-only profile), and
// has no mode worth asking (SETUID_DRIFT). Pure.

import type { Change } from './drift.js';

/** Every proper ancestor of the paths (/a and /a/b for /a/b/c), never `/`. Linear in the
 *  paths' segments, where a test of each path against all others is quadratic: a layer
 *  may list 100,000 paths (10,000 took 4 s that way). */
export function ancestorsOf(paths: Iterable<string>): Set<string> {
  const found = new Set<string>();
  for (const path of paths) {
    for (let i = path.lastIndexOf('/'); i > 0; i = path.lastIndexOf('/', i - 1)) {
      const dir = path.slice(0, i);
      // Its own ancestors were added with it.
      if (found.has(dir)) break;
      found.add(dir);
    }
  }
  return found;
}

/** Whether a change is a directory listed as modified only because something beneath
 *  it changed. */
export function onlyAnAncestor(changes: readonly Change[]): (c: Change) => boolean {
  const dirs = ancestorsOf(changes.map((c) => c.path));
  return (c) => c.kind === 'modified' && dirs.has(c.path);
}
