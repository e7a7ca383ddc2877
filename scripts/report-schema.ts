// npm run schema: writes docs/report.schema.json, the JSON Schema of `watchdog report
// --json`, from the zod schemas that type the report (src/core/report-schema.ts). A unit
// test (test/unit/report-schema.test.ts) fails while the committed file is stale.

import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { reportJsonSchema } from '../src/core/report-schema.js';

const target = fileURLToPath(new URL('../docs/report.schema.json', import.meta.url));
writeFileSync(target, reportJsonSchema());
console.log(`wrote ${target}`);
