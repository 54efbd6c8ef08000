// docs/collector.openapi.json is what the server's schemas generate; regenerate with `npm run openapi`.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { openapiDocument } from '../../src/collector/openapi.ts';

t.test('docs/collector.openapi.json is current', async (t) => {
  const doc = readFileSync(new URL('../../docs/collector.openapi.json', import.meta.url), 'utf8');
  const generated = await openapiDocument();
  t.equal(doc, generated, 'stale: run `npm run openapi`');
  const parsed = JSON.parse(generated) as { openapi: string; paths: Record<string, unknown> };
  t.equal(parsed.openapi, '3.1.0');
  t.ok(parsed.paths['/v1/ephotos/{code}'], 'the pull API');
  t.ok(parsed.paths['/status/{code}'], 'the status');
});
