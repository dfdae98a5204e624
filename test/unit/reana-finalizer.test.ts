/**
 * The REANA backend creates HPCJobs with the operator's finalizer already on them (one API write less per
 * step): its copy of the name must be the operator's.
 */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { FINALIZER } from '../../src/controllers/hpcjob/transition.js';

describe('the REANA backend', () => {
  it("creates HPCJobs with the operator's finalizer", () => {
    const manifest = readFileSync(
      new URL('../../integrations/reana/reana_hpc/manifest.py', import.meta.url),
      'utf8',
    );
    expect(/^FINALIZER = "([^"]+)"$/m.exec(manifest)?.[1]).toBe(FINALIZER);
    expect(manifest).toContain('"finalizers": [FINALIZER]');
  });
});
