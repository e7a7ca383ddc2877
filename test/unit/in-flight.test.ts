// The registry main.ts runs on SIGTERM and SIGINT.

import { describe, expect, it } from 'vitest';
import { inFlightRegistry, StoppingError } from '../../src/act/in-flight.js';

describe('inFlightRegistry', () => {
  it('runs every undo still registered, and none that was released', async () => {
    const registry = inFlightRegistry();
    const done: string[] = [];
    registry.add(async () => void done.push('thaw web'));
    const release = registry.add(async () => void done.push('thaw db'));
    release();
    await registry.undoAll();
    expect(done).toEqual(['thaw web']);
  });

  it('refuses anything new once stopping, so nothing is frozen after the thaw', async () => {
    const registry = inFlightRegistry();
    await registry.undoAll();
    expect(() => registry.add(async () => {})).toThrow(StoppingError);
  });

  it('waits for every undo, even when one fails', async () => {
    const registry = inFlightRegistry();
    let slow = false;
    registry.add(async () => {
      throw new Error('engine gone');
    });
    registry.add(async () => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      slow = true;
    });
    await registry.undoAll();
    expect(slow).toBe(true);
  });
});
