// Builds dist/: main.js and the chunks it loads on demand, bundled, because a command
// run every 5 minutes by a timer pays its start-up every time. Loading ~400 small
// modules, and parsing code a run never uses, took longer than a warm report's work
// (issue #3: `watchdog --version` 0.29 s as plain modules, 0.16 s bundled and split).
// Type checking is `npm run typecheck`; esbuild only strips types.
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

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

rmSync('dist', { recursive: true, force: true });
await build({
  entryPoints: ['src/main.ts'],
  outdir: 'dist',
  bundle: true,
  // The configuration parser (zod, yaml: 1 MB) is a chunk of its own, loaded only when
  // there is a configuration file.
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  // Packages with native addons stay in node_modules.
  external: ['better-sqlite3', 'ssh2', 'cpu-features'],
  plugins: [noBuildKitSessions],
  // Bundled CommonJS packages (dockerode and friends) call require().
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  logLevel: 'warning',
});
