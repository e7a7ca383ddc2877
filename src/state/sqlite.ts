// better-sqlite3, with its JavaScript bundled into dist/ and its native addon named to
// it. Loaded from node_modules, it cost 7 ms of every run's start: Node.js read and
// compiled its 13 files and the `bindings` helper's 2 one by one, and `bindings`
// searched for the addon from a stack trace. Bundled and given the addon, 1.6 ms (`node
// -e` of each against `node -e 0`, 21 runs interleaved; issue #14). The addon is found
// at run time, and scripts/build.mjs puts a stub in for `bindings`. package.json pins
// better-sqlite3 to one version, so that the bundled JavaScript and the installed addon
// are always of the same release.

import { createRequire } from 'node:module';
import BetterSqlite3 from 'better-sqlite3';

export type Db = BetterSqlite3.Database;

/** Where better-sqlite3's install puts its addon: downloaded prebuilt or compiled by
 *  node-gyp, build/Release; compiled for debugging, build/Debug. */
const ADDONS = ['better-sqlite3/build/Release/better_sqlite3.node', 'better-sqlite3/build/Debug/better_sqlite3.node'];

let addon: string | undefined;

/** The addon's file; better-sqlite3 loads it (once: require caches it). */
function nativeAddon(): string {
  if (addon) return addon;
  const resolve = createRequire(import.meta.url).resolve;
  for (const candidate of ADDONS) {
    try {
      return (addon = resolve(candidate));
    } catch {
      // Not built this way: the next.
    }
  }
  throw new Error(`better-sqlite3's native addon is not in ${ADDONS.join(' or ')}; rebuild it where docker-watchdog is installed (npm rebuild better-sqlite3).`);
}

export class Database extends BetterSqlite3 {
  constructor(filename?: string | Buffer, options: BetterSqlite3.Options = {}) {
    super(filename, { ...options, nativeBinding: nativeAddon() });
  }
}
