/**
 * `make manifests`: writes config/crd/bases/*.yaml from the schemas in src/crds.
 * `--check` exits non-zero when the committed files differ (the unit test does the same).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderCRDs } from './render.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const check = process.argv.includes('--check');
let stale = 0;
for (const { file, text } of renderCRDs()) {
  const path = join(repo, file);
  let current = '';
  try {
    current = readFileSync(path, 'utf8');
  } catch {
    // missing file: stale
  }
  if (current === text) continue;
  if (check) {
    console.error(`${file} is stale: run make manifests`);
    stale++;
  } else {
    writeFileSync(path, text);
    console.log(`wrote ${file}`);
  }
}
process.exit(stale > 0 ? 1 : 0);
