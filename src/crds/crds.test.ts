import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { allCRDs } from './crd.js';
import { renderCRDs } from './render.js';
import type { JSONSchemaProps } from './schema.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Every property path below `path` that lacks a description. */
function undocumented(schema: JSONSchemaProps, path: string): string[] {
  const missing: string[] = [];
  if (!schema.description && path !== '.metadata') missing.push(path);
  for (const [name, prop] of Object.entries(schema.properties ?? {}))
    missing.push(...undocumented(prop, `${path}.${name}`));
  if (schema.items) missing.push(...undocumented(schema.items, `${path}[]`));
  if (schema.additionalProperties) missing.push(...undocumented(schema.additionalProperties, `${path}{}`));
  return missing;
}

describe('CRDs', () => {
  it('match the committed config/crd YAML (run make manifests when this fails)', () => {
    for (const { file, text } of renderCRDs()) {
      expect(readFileSync(join(repo, file), 'utf8')).toBe(text);
    }
  });

  it.each(allCRDs.map((c) => [c.spec.names.kind, c] as const))('%s documents every field', (_kind, crd) => {
    const schema = crd.spec.versions[0]!.schema.openAPIV3Schema as JSONSchemaProps;
    expect(undocumented(schema, '')).toEqual([]);
  });

  it.each(allCRDs.map((c) => [c.spec.names.kind, c] as const))(
    '%s has the status subresource and printer columns',
    (_kind, crd) => {
      const v = crd.spec.versions[0]!;
      expect(v.subresources).toEqual({ status: {} });
      expect(v.additionalPrinterColumns.map((c) => c.name)).toEqual(expect.arrayContaining(['Phase', 'Age']));
    },
  );
});
