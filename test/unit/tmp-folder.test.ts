import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename } from 'node:path';
import { expect, it } from 'vitest';

// test/setup/tmp-folder.ts: what the unit tests make under os.tmpdir() is removed with
// their run's folder.
it("the unit tests' temporary folders are in one folder of their run", () => {
  expect(basename(tmpdir())).toMatch(/^wdt-unit-\d+$/);
  expect(existsSync(tmpdir())).toBe(true);
});
