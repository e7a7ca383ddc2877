// The API version the watchdog speaks with an engine (issue #10): the engine's own, up to
// the newest whose answers it knows.

import { describe, expect, it } from 'vitest';
import { NEWEST_KNOWN_API, negotiateApiVersion } from '../../src/engine/client.js';

describe('negotiateApiVersion', () => {
  it("speaks an older engine's own version", () => {
    expect(negotiateApiVersion('1.41')).toBe('1.41'); // 20.10
    expect(negotiateApiVersion('1.45')).toBe('1.45'); // 26.1
    expect(negotiateApiVersion('1.9')).toBe('1.9'); // minor versions compare as numbers
  });

  it('asks a newer engine for the newest version it knows', () => {
    expect(NEWEST_KNOWN_API).toBe('1.52'); // engine 29
    expect(negotiateApiVersion('1.52')).toBe('1.52');
    expect(negotiateApiVersion('1.53')).toBe('1.52');
    expect(negotiateApiVersion('2.0')).toBe('1.52');
  });

  it('sends unversioned requests when the engine names no version', () => {
    expect(negotiateApiVersion(undefined)).toBeNull();
    expect(negotiateApiVersion('')).toBeNull();
    expect(negotiateApiVersion('v1.41')).toBeNull();
  });
});
