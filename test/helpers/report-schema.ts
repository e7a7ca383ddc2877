// The published JSON Schema of the report (docs/report.schema.json), as a validator:
// every report the engine tests read is checked against it (test/helpers/cli.ts).

import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

const schema = JSON.parse(readFileSync(new URL('../../docs/report.schema.json', import.meta.url), 'utf8'));
const ajv = new Ajv2020({ allErrors: true, strict: true });
addFormats.default(ajv);
const validate = ajv.compile(schema);

/** Throws, naming every place where `report` breaks the published schema. */
export function assertValidReport(report: unknown): void {
  if (validate(report)) return;
  const problems = (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`);
  throw new Error(`the report does not match docs/report.schema.json:\n  ${problems.join('\n  ')}`);
}
