// Builds dist/main.js: one bundled file, because a command run every 5 minutes by a
// timer pays its start-up every time, and loading ~400 small modules took longer than
// the work (issue #3: `watchdog --version` 0.29 s unbundled, 0.17 s bundled).
// Type checking is `npm run typecheck`; esbuild only strips types.
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

rmSync('dist', { recursive: true, force: true });

await build({
  entryPoints: ['src/main.ts'],
  outfile: 'dist/main.js',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  // Packages with native addons stay in node_modules.
  external: ['better-sqlite3', 'ssh2', 'cpu-features'],
  // Bundled CommonJS packages (dockerode and friends) call require().
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  logLevel: 'warning',
});
