import { describe, expect, it } from 'vitest';
import { isRotatedSibling, logConfigFacts, logLimitBytes } from '../../src/core/logs.js';

describe('logConfigFacts', () => {
  it.each([
    ['json-file', {}, { maxSizeBytes: null, maxFiles: null, bounded: false }],
    ['json-file', null, { maxSizeBytes: null, maxFiles: null, bounded: false }],
    ['json-file', { 'max-size': '1m', 'max-file': '3' }, { maxSizeBytes: 1_000_000, maxFiles: 3, bounded: true }],
    ['json-file', { 'max-size': '10m' }, { maxSizeBytes: 10_000_000, maxFiles: 1, bounded: true }],
    ['json-file', { 'max-file': '3' }, { maxSizeBytes: null, maxFiles: null, bounded: false }],
    ['local', {}, { maxSizeBytes: 20_000_000, maxFiles: 5, bounded: true }],
    ['journald', {}, { maxSizeBytes: null, maxFiles: null, bounded: true }],
    ['none', {}, { maxSizeBytes: null, maxFiles: null, bounded: true }],
  ])('%s %j', (driver, options, facts) => {
    expect(logConfigFacts(driver, options)).toEqual({ driver, ...facts });
  });

  it('limits a bounded log to max-size x max-file', () => {
    expect(logLimitBytes(logConfigFacts('json-file', { 'max-size': '1m', 'max-file': '3' }))).toBe(3_000_000);
    expect(logLimitBytes(logConfigFacts('json-file', {}))).toBeNull();
  });
});

describe('isRotatedSibling', () => {
  const live = 'abc-json.log';
  it.each([
    ['abc-json.log.1', true],
    ['abc-json.log.12', true],
    ['abc-json.log.2.gz', true],
    ['abc-json.log', false],
    ['abc-json.log.tmp', false],
    ['abc-json.log.1.gz.tmp', false],
    ['other-json.log.1', false],
  ])('%s: %s', (name, sibling) => {
    expect(isRotatedSibling(live, name)).toBe(sibling);
  });
});
