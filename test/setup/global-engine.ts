// Vitest global setup: builds dist/ (the integration tests run the real binary), clears
// what killed earlier runs left behind (engines whose dockerd is gone; see
// test-engine.sh clean-stale), and starts the shared throwaway engine. Test
// files that need an engine to themselves (exact counts, a disk filled on purpose)
// start their own with startEngine().

import { execFileSync } from 'node:child_process';
import type { TestProject } from 'vitest/node';
import { ENGINE_SCRIPT, startEngine, type TestEngine } from '../helpers/engine.js';

declare module 'vitest' {
  export interface ProvidedContext {
    sharedEngineName: string;
  }
}

let shared: TestEngine | undefined;

export async function setup(project: TestProject): Promise<void> {
  execFileSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });
  execFileSync('bash', [ENGINE_SCRIPT, 'clean-stale'], { stdio: 'inherit' });
  shared = await startEngine('shared', 512);
  project.provide('sharedEngineName', 'shared');
}

export async function teardown(): Promise<void> {
  await shared?.stop();
}
