import { defineConfig } from 'vitest/config';
import { UNIT_TMPDIR } from './test/setup/tmp-folder.js';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          // Their temporary folders, in one that is removed at the end.
          globalSetup: ['test/setup/tmp-folder.ts'],
          env: { TMPDIR: UNIT_TMPDIR },
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          // Builds dist/ and starts the shared throwaway engine (test/engine/test-engine.sh).
          globalSetup: ['test/setup/global-engine.ts'],
          // The watchdog's runtime folder (freeze ledger, stand-in locks): the tests'
          // own, never the host's /run/docker-watchdog.
          env: { WATCHDOG_RUNTIME_DIR: `${process.env.WDT_ENGINES_DIR ?? '/tmp/docker-watchdog-test'}/runtime` },
          // Integration tests start containers on a real engine: ~0.3 s each here.
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
