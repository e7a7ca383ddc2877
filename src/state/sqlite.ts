// better-sqlite3, with its JavaScript bundled into dist/ and its native addon named to
// it. Loaded from node_modules, it cost 7 ms of every run's start: Node.js read and
// compiled its 15 files one by one, and its `bindings` helper searched for the addon
// from a stack trace. Bundled and given the addon, 1.6 ms (`node -e` of each against
// `node -e 0`, 21 runs interleaved; issue #14). scripts/build.mjs keeps the addon out
// of the bundle.

import { createRequire } from 'node:module';
import BetterSqlite3 from 'better-sqlite3';

export type Db = BetterSqlite3.Database;

/** Where better-sqlite3's install puts its addon, whether downloaded prebuilt or
 *  compiled (node-gyp builds Release unless told otherwise). */
const ADDON = 'better-sqlite3/build/Release/better_sqlite3.node';

let addon: string | undefined;

/** The addon's file; better-sqlite3 loads it (once: require caches it). */
function nativeAddon(): string {
  if (addon) return addon;
  try {
    addon = createRequire(import.meta.url).resolve(ADDON);
  } catch (error) {
    throw new Error(`better-sqlite3's native addon is not where its install puts it, ${ADDON} (${(error as Error).message.split('\n')[0]}); reinstall docker-watchdog's dependencies (npm ci).`);
  }
  return addon;
}

export class Database extends BetterSqlite3 {
  constructor(filename?: string | Buffer, options: BetterSqlite3.Options = {}) {
    super(filename, { ...options, nativeBinding: nativeAddon() });
  }
}
