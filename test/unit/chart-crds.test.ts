/**
 * The Helm chart ships the CRDs that `make manifests` generates: charts/hpc-operator/files/crds (what
 * templates/crds.yaml renders) must be byte-for-byte copies of config/crd/bases (charts/sync-crds.sh makes
 * them; its --check mode is what make lint runs).
 */
import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BASES = join(REPO, 'config/crd/bases');
const CHART_CRDS = join(REPO, 'charts/hpc-operator/files/crds');

describe('the chart CRDs', () => {
  it('are the generated CRDs, byte for byte, and no others', () => {
    const names = readdirSync(BASES).sort();
    expect(names.length).toBeGreaterThan(0);
    expect(readdirSync(CHART_CRDS).sort()).toEqual(names);
    for (const n of names) expect(readFileSync(join(CHART_CRDS, n))).toEqual(readFileSync(join(BASES, n)));
    execFileSync(join(REPO, 'charts/sync-crds.sh'), ['--check']);
  });

  it('sync-crds.sh --check fails on a stale copy, and sync-crds.sh repairs it', () => {
    // A scratch copy of the two directories and the script, so the repository is never touched.
    const root = mkdtempSync(join(tmpdir(), 'hpcop-crds-'));
    cpSync(BASES, join(root, 'config/crd/bases'), { recursive: true });
    cpSync(CHART_CRDS, join(root, 'charts/hpc-operator/files/crds'), { recursive: true });
    cpSync(join(REPO, 'charts/sync-crds.sh'), join(root, 'charts/sync-crds.sh'));
    const script = join(root, 'charts/sync-crds.sh');
    const stale = join(root, 'charts/hpc-operator/files/crds', readdirSync(CHART_CRDS)[0] as string);
    writeFileSync(stale, readFileSync(stale, 'utf8') + '# edited by hand\n');
    expect(() => execFileSync(script, ['--check'], { stdio: 'pipe' })).toThrow(
      /differs from config\/crd\/bases/,
    );
    execFileSync(script);
    execFileSync(script, ['--check']);
  });
});
