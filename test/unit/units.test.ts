import { describe, expect, it } from 'vitest';
import { isWholeBytes, parseEngineSize } from '../../src/core/units.js';

describe('parseEngineSize (go-units, decimal)', () => {
  it.each([
    ['11.16 GB', 11_160_000_000], // engines up to 17.03: a space before the unit
    ['161.5MB', 161_500_000], // later engines: no space
    ['0B', 0], // zero
    ['378417152', 378_417_152], // zfs: raw byte counts
    ['510797041664', 510_797_041_664],
    ['524.3kB', 524_300],
    ['65.54 kB', 65_540],
    ['2.147GB', 2_147_000_000],
    ['1.2TB', 1_200_000_000_000],
    ['10m', 10_000_000], // log-opt max-size is decimal too
    ['1k', 1_000],
    ['1g', 1_000_000_000],
    ['100MiB', 100_000_000], // go-units FromHumanSize ignores the i
    [' 5 MB ', 5_000_000],
  ])('%j is %d bytes', (text, bytes) => {
    expect(parseEngineSize(text)).toBe(bytes);
  });

  it.each(['', 'abc', '10XB', '-1MB', '1.2.3MB', 'MB'])('%j is not a size', (text) => {
    expect(parseEngineSize(text)).toBeNull();
  });
});

describe('isWholeBytes (the configuration takes whole bytes only)', () => {
  it.each([
    ['100MB', true],
    ['1.5kB', true],
    ['1.1kB', true], // 1.1 x 1000 is 1100.0000000000002 in floating point: decided on the digits
    ['1.000kB', true],
    ['1.0005kB', false],
    ['0.5', false],
    ['0.5B', false],
    ['2.000000000000001PB', true],
    ['abc', false],
  ])('%j: %s', (text, whole) => {
    expect(isWholeBytes(text)).toBe(whole);
  });
});
