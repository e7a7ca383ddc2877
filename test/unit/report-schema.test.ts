// The published JSON Schema of the report is the one the report's own types come from.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { reportJsonSchema } from '../../src/core/report-schema.js';
import { assertValidReport } from '../helpers/report-schema.js';

describe('docs/report.schema.json', () => {
  it('is what `npm run schema` writes from src/core/report-schema.ts', () => {
    expect(readFileSync(new URL('../../docs/report.schema.json', import.meta.url), 'utf8')).toBe(reportJsonSchema());
  });

  it('refuses a report with a field it does not know, or a byte count that is not a whole number', () => {
    const report = JSON.parse(readFileSync(new URL('../golden/report.json', import.meta.url), 'utf8'));
    assertValidReport(report);
    expect(() => assertValidReport({ ...report, surprise: 1 })).toThrow(/must NOT have additional properties/);
    expect(() => assertValidReport({ ...report, exited: { ...report.exited, footprintBytes: 1.5 } })).toThrow(/\/exited\/footprintBytes must be integer/);
  });
});
