// better-sqlite3, required rather than imported: it is CommonJS, and an ESM import of it
// makes Node.js scan its source for named exports and wrap it first, 2.5 ms of every
// run's start (issue #14, a CPU profile of a warm report).

import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';

export const Database = createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;
export type Db = BetterSqlite3.Database;
