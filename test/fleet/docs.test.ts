// docs/mqtt.md shows the JSON Schema of every payload as generated from src/fleet/schemas.ts;
// this fails when a schema changes and the page does not.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { payloadSchemas } from '../../src/fleet/schemas.ts';

const doc = readFileSync(new URL('../../docs/mqtt.md', import.meta.url), 'utf8');

for (const [topic, schema] of Object.entries(payloadSchemas)) {
  t.test(`docs/mqtt.md has the current schema of ${topic}`, async (t) => {
    const json = JSON.stringify(z.toJSONSchema(schema, { unrepresentable: 'any' }), null, 2);
    t.ok(doc.includes(`### ${topic}\n\n\`\`\`json\n${json}\n\`\`\``), `regenerate the section with \`cabine fleet schema\``);
  });
}
