// Writes dashboards/*.json from the shared query definitions: `node --import tsx dashboards/grafana/build.ts`.
// The JSON is committed; src/grafana.test.ts fails when it differs from what this writes.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderDashboards } from './src/dashboards.ts';

const out = join(dirname(fileURLToPath(import.meta.url)), 'dashboards');
mkdirSync(out, { recursive: true });
for (const [file, json] of renderDashboards()) {
  writeFileSync(join(out, file), json);
  console.log(`wrote ${join(out, file)}`);
}
