// Writes docs/collector.openapi.json from the collector's route schemas (npm run openapi).
import { writeFileSync } from 'node:fs';
import { openapiDocument } from '../src/collector/openapi.ts';

const out = new URL('../docs/collector.openapi.json', import.meta.url);
writeFileSync(out, await openapiDocument());
process.stdout.write(`wrote ${out.pathname}\n`);
