// File names made from container names: safe characters only, bounded, unique by id
// (issue #9, defect 10).

import { describe, expect, it } from 'vitest';
import { containerFileName } from '../../src/core/names.js';

const ID = 'a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a1b2';

describe('containerFileName', () => {
  it('bounds a name of hundreds of characters to 64 safe ones, and keeps the id', () => {
    expect(containerFileName('web-1', ID)).toBe('web-1-a1b2c3d4e5f6');
    expect(containerFileName('web/../x\n\r\u001b é', ID)).toBe('web_.._x_____-a1b2c3d4e5f6');
    for (const length of [65, 250, 300, 1000]) {
      const name = containerFileName('n'.repeat(length), ID);
      expect(name).toBe(`${'n'.repeat(64)}-a1b2c3d4e5f6`);
      expect(Buffer.byteLength(name)).toBeLessThanOrEqual(77);
    }
    // Two long names alike in their first 64 characters stay apart by their ids.
    expect(containerFileName(`${'n'.repeat(64)}a`, ID)).not.toBe(containerFileName(`${'n'.repeat(64)}b`, `f${ID.slice(1)}`));
  });
});
