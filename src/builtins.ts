// Node.js's own modules that a run may not need, loaded when first used (issue #14).
// An ES import of a builtin loads it at start, whether the run uses it or not, and
// builds its ESM face, which reads every export: on Node.js 22 and 24 some of
// node:http's load undici (fetch's HTTP client), 30 ms of every run's start on 24. Of
// these a warm report needs node:http only. crypto, zlib, and the child_process that
// commander requires (stubbed by scripts/build.mjs) were 41 M of its 937 M instructions
// at 1,000 exited containers (callgrind, Node.js 20, two runs of each build; leaving out
// child_process saved 11 M, then zlib 6 M, then crypto 38-55 M, the streams and sockets
// they share already loaded; the library that now hashes the runtime folder's names,
// files/runtime.ts, costs 4-10 M). nodeCrypto loads only for a random name or a
// Message-ID.

import { createRequire } from 'node:module';

const requireBuiltin = createRequire(import.meta.url);

export const http = (): typeof import('node:http') => requireBuiltin('node:http') as typeof import('node:http');
/** With tls and crypto: only for an engine that speaks TLS (2.4 ms to load). */
export const https = (): typeof import('node:https') => requireBuiltin('node:https') as typeof import('node:https');
export const nodeCrypto = (): typeof import('node:crypto') => requireBuiltin('node:crypto') as typeof import('node:crypto');
/** Only rotation compresses. */
export const zlib = (): typeof import('node:zlib') => requireBuiltin('node:zlib') as typeof import('node:zlib');
