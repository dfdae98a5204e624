/**
 * The manifests in the docs are valid: every YAML block of the guides below is parsed and each HPCJob or
 * VirtualCluster is checked against the CRD schema (with defaults and CEL rules, test/unit/crd-validate.ts)
 * and each HPCJob spec against the operator's own validation (src/controllers/hpcjob/validate.ts), so a
 * recipe that `kubectl apply` or the operator would reject fails here.
 */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { validateSpec } from '../../src/controllers/hpcjob/validate.js';
import type { HPCJobSpec } from '../../src/crds/hpcjob.js';
import { CEL, allRules, isTransitionRule, validateManifest } from './crd-validate.js';

const docs = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs');
const GUIDES = ['retry-hold-cookbook.md', 'concepts.md', 'site-admin-guide.md', 'troubleshooting.md'];

/** The YAML documents of every ```yaml block of a Markdown file. */
function manifests(file: string): Record<string, unknown>[] {
  const text = readFileSync(join(docs, file), 'utf8');
  const out: Record<string, unknown>[] = [];
  for (const m of text.matchAll(/^```ya?ml\n([\s\S]*?)^```$/gm)) {
    for (const doc of parseAllDocuments(m[1]!)) {
      expect({ file, errors: doc.errors.map((e) => e.message) }).toEqual({ file, errors: [] });
      const value = doc.toJS() as Record<string, unknown> | null;
      if (value !== null) out.push(value);
    }
  }
  return out;
}

function problems(m: Record<string, unknown>): string[] {
  const r = validateManifest(m);
  if (!r) return [];
  const errors = [...r.errors];
  if (m.kind === 'HPCJob' && errors.length === 0) {
    const invalid = validateSpec(r.defaulted.spec as HPCJobSpec);
    if (invalid) errors.push(`${invalid.field}: ${invalid.reason}: ${invalid.message}`);
  }
  return errors;
}

const job = (spec: Record<string, unknown>, name = 'x') => ({
  apiVersion: 'hpc.scailfin.io/v1alpha1',
  kind: 'HPCJob',
  metadata: { name },
  spec,
});

describe('manifests in the docs', () => {
  it.each(GUIDES)('%s: every manifest is valid', (file) => {
    const ms = manifests(file);
    for (const m of ms) {
      expect({
        file,
        kind: m.kind,
        name: (m.metadata as { name?: string })?.name,
        apiVersion: m.apiVersion,
      }).toEqual(
        expect.objectContaining({ apiVersion: expect.stringMatching(/^(hpc\.scailfin\.io\/v1alpha1|v1)$/) }),
      );
      expect({ name: (m.metadata as { name?: string })?.name, problems: problems(m) }).toEqual({
        name: (m.metadata as { name?: string })?.name,
        problems: [],
      });
    }
  });

  it('the cookbook has a manifest per recipe', () => {
    const jobs = manifests('retry-hold-cookbook.md').filter((m) => m.kind === 'HPCJob');
    expect(jobs.length).toBeGreaterThanOrEqual(8);
    const names = jobs.map((m) => (m.metadata as { name: string }).name);
    expect(new Set(names).size).toBe(names.length);
  });
});

describe('the manifest validator', () => {
  it('has a JavaScript equivalent for every CEL rule of the CRDs, and no other', () => {
    const rules = allRules().filter((r) => !isTransitionRule(r));
    expect(Object.keys(CEL).sort()).toEqual(rules.sort());
  });

  it.each([
    [{ command: ['true'], script: 'true' }, 'exactly one of command and script must be set'],
    [{ script: 'true', resources: { cpus: 0 } }, 'spec.resources.cpus: must be at least 1'],
    [{ script: 'true', resources: { memory: '2 GB' } }, 'spec.resources.memory: does not match'],
    [
      { script: 'true', retryPolicy: { rules: [{ onExitCodes: [1], action: 'release' }] } },
      'action release applies to holds only',
    ],
    [
      { script: 'true', retryPolicy: { rules: [{ onExitCodes: [1], action: 'fail', memoryFactor: 2 }] } },
      'memoryFactor needs action retry',
    ],
    [
      { script: 'true', retryPolicy: { rules: [{ onHoldSubCodes: [102], action: 'retry' }] } },
      'a rule must match on at least one',
    ],
    [
      { script: 'true', retryPolicy: { rules: [{ onHoldCode: [34], action: 'retry' }] } },
      'onHoldCode: unknown field',
    ],
    [
      { script: 'true', retryPolicy: { rules: [{ onExitCodes: [1, 1], action: 'retry' }] } },
      'duplicate items',
    ],
    [
      { script: 'true', retryPolicy: { rules: [{ onCategories: ['Holds'], action: 'retry' }] } },
      'must be one of',
    ],
    [{ script: 'true', workspace: { path: '/reana/users/u/workflows/w/../x' } }, 'must not contain'],
    [
      { script: 'true', workspace: { path: '/reana/users/u' } },
      'spec.workspace.path: must be a workspace in the REANA layout',
    ],
    [{ script: 'true', requirements: 'Memory > 1; rm -rf /' }, 'InvalidRequirements'],
    [{ command: ['true'], image: 'docker://Bad Image' }, 'spec.image: does not match'],
    [{ command: ['true'], image: 'ftp://x/y' }, 'spec.image: must be docker://'],
  ])('rejects %j', (spec, expected) => {
    expect(problems(job(spec)).join('\n')).toContain(expected);
  });

  it('rejects a VirtualCluster whose workers count exceeds max, and a long name', () => {
    const vc = (name: string, workers: Record<string, unknown>) => ({
      apiVersion: 'hpc.scailfin.io/v1alpha1',
      kind: 'VirtualCluster',
      metadata: { name },
      spec: {
        pool: { collectorHost: 'cm.example.org:9618', pilotTokenSecretRef: { name: 'pilot-token' } },
        allocations: [
          {
            name: 'a',
            batchSystem: 'slurm',
            loginHost: 'login.example.org',
            user: 'u',
            credentials: { secretName: 's' },
            workers,
          },
        ],
      },
    });
    expect(problems(vc('ok', { count: 2, max: 4 }))).toEqual([]);
    expect(problems(vc('ok', { count: 5, max: 4 })).join()).toContain('count must not exceed max');
    expect(problems(vc('x'.repeat(41), {})).join()).toContain('at most 40 characters');
  });

  it('applies defaults before the rules, as the API server does', () => {
    // containerRuntime defaults to auto, so an image alone passes the containerRuntime rule.
    expect(problems(job({ command: ['true'], image: 'docker://busybox:1.36' }))).toEqual([]);
    expect(
      problems(job({ command: ['true'], image: 'docker://busybox:1.36', containerRuntime: 'none' })).join(),
    ).toContain('containerRuntime none runs natively');
  });
});
