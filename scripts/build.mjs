// Builds dist/: main.js and the chunks it loads on demand, bundled, because a command
// run every 5 minutes by a timer pays its start-up every time. Loading ~400 small
// modules, and parsing code a run never uses, took longer than a warm report's work
// (issue #3: `watchdog --version` 0.29 s as plain modules, 0.16 s bundled and split).
// Type checking is `npm run typecheck`; esbuild only strips types.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';

// Bundled CommonJS packages (dockerode and friends) call require().
const banner = { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" };

// dockerode requires its BuildKit session support (gRPC and protobuf, 0.8 MB) at load
// time, for `docker build` sessions this tool never opens. A stub stands in for it.
const noBuildKitSessions = {
  name: 'no-buildkit-sessions',
  setup(b) {
    b.onResolve({ filter: /^\.\/session$/, namespace: 'file' }, (args) =>
      args.importer.includes('/dockerode/lib/') ? { path: 'dockerode-session', namespace: 'stub' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({
      contents: "module.exports = function () { throw new Error('docker-watchdog does not open BuildKit sessions'); };",
      loader: 'js',
    }));
  },
};

/** The configuration's defaults, from the schema itself (src/config/schema.ts), so that
 *  a run without a configuration file need not load zod and yaml to learn them. */
async function schemaDefaults() {
  const dir = mkdtempSync(join(tmpdir(), 'watchdog-build-'));
  try {
    const file = join(dir, 'schema.mjs');
    await build({ entryPoints: ['src/config/schema.ts'], outfile: file, bundle: true, platform: 'node', format: 'esm', target: 'node20', banner, logLevel: 'warning' });
    return (await import(pathToFileURL(file).href)).defaultConfig();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

rmSync('dist', { recursive: true, force: true });
await build({
  entryPoints: ['src/main.ts'],
  outdir: 'dist',
  bundle: true,
  // Each command is a chunk of its own, loaded only when it runs, and so is the
  // configuration parser (zod, yaml: 1 MB), loaded only when there is a file.
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  // Packages with native addons stay in node_modules.
  external: ['better-sqlite3', 'ssh2', 'cpu-features'],
  plugins: [noBuildKitSessions],
  // A string, parsed at run time: esbuild inlines a string constant where it is used,
  // while an object constant would be set up in every bundled module.
  define: { WATCHDOG_DEFAULT_CONFIG: JSON.stringify(JSON.stringify(await schemaDefaults())) },
  banner,
  logLevel: 'warning',
});
