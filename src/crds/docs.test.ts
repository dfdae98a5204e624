import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { allCRDs } from './crd.js';
import { renderReference } from './docs.js';
import type { JSONSchemaProps } from './schema.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Embedded schemas documented on their own page (an HPCJobSet's template is an HPCJob spec). */
const COLLAPSED = ['spec.template'];

/** Every field path of a schema, as the reference writes them (`[]` for list items). */
function paths(schema: JSONSchemaProps, path: string): string[] {
  const out = [path];
  if (COLLAPSED.includes(path)) return out;
  for (const [name, prop] of Object.entries(schema.properties ?? {}))
    out.push(...paths(prop, `${path}.${name}`));
  if (schema.items?.properties) out.push(...paths(schema.items, `${path}[]`).slice(1));
  return out;
}

describe('docs/reference', () => {
  it('matches the committed files (run make docs when this fails)', () => {
    for (const { file, text } of renderReference()) {
      expect(readFileSync(join(repo, file), 'utf8')).toBe(text);
    }
  });

  it.each(allCRDs.map((c, i) => [c.spec.names.kind, c, i] as const))(
    '%s lists every field',
    (_kind, crd, i) => {
      const schema = crd.spec.versions[0]!.schema.openAPIV3Schema as JSONSchemaProps;
      const text = renderReference()[i]!.text;
      for (const root of ['spec', 'status'] as const) {
        for (const p of paths(schema.properties![root]!, root)) expect(text).toContain(`| \`${p}\` |`);
      }
    },
  );
});
