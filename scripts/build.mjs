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

// dockerode and docker-modem require, at load time, what only `docker build` and ssh://
// engines use: BuildKit sessions and their gRPC and protobuf code, tar-fs and the
// .dockerignore parser for build contexts, and ssh2 (a native addon, loaded from
// node_modules as it is not bundled). This tool never builds an image, and refuses
// ssh:// engines (src/engine/host.ts). better-sqlite3 requires `bindings` to search for
// its addon, which src/state/sqlite.ts names to it instead. commander requires
// child_process to run subcommands that are programs of their own, and this CLI has
// none: 11 M of a warm report's 937 M instructions (issue #14, src/builtins.ts). A stub
// that says why stands in for each: loading them cost more than a warm report's own work
// (issue #8; figures in the README).
const NOT_USED = [
  ['/dockerode/lib/', /^\.\/(session|buildkit)$/, 'does not build images'],
  ['/dockerode/lib/', /^(tar-fs|@balena\/dockerignore)$/, 'does not build images'],
  ['/docker-modem/lib/', /^ssh2$/, 'does not reach engines over ssh'],
  ['/commander/lib/', /^node:child_process$/, 'runs no executable subcommands'],
  ['/better-sqlite3/lib/', /^bindings$/, "names better-sqlite3's addon itself (src/state/sqlite.ts)"],
];
const stubs = {
  name: 'stubs',
  setup(b) {
    b.onResolve({ filter: /.*/, namespace: 'file' }, (args) => {
      const why = NOT_USED.find(([importer, request]) => args.importer.includes(importer) && request.test(args.path))?.[2];
      return why ? { path: args.path, namespace: 'stub', pluginData: why } : undefined;
    });
    b.onLoad({ filter: /.*/, namespace: 'stub' }, (args) => ({
      contents: `const refuse = () => { throw new Error(${JSON.stringify(`docker-watchdog ${args.pluginData} (${args.path})`)}); };
module.exports = new Proxy(refuse, { get: (target, key) => (key === '__esModule' ? false : refuse) });`,
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
  // The commands are loaded only when one runs (src/commands/index.ts; watch apart),
  // and so is the configuration parser (zod, yaml: 1 MB), only when there is a file.
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  plugins: [stubs],
  // A string, parsed at run time: esbuild inlines a string constant where it is used,
  // while an object constant would be set up in every bundled module.
  define: { WATCHDOG_DEFAULT_CONFIG: JSON.stringify(JSON.stringify(await schemaDefaults())) },
  banner,
  logLevel: 'warning',
});
