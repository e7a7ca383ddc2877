// Where a path really is.

import { relative, resolve, sep } from 'node:path';

/** True when `child` is `parent` or lies beneath it, after resolving `..`. */
export function isInside(parent: string, child: string): boolean {
  const rel = relative(resolve(parent), resolve(child));
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !rel.startsWith(sep));
}
