/**
 * The fixes the hostile-input corpus led to, each pinned without the local stack: the ClassAd check that a
 * comment or a control character cannot slip through, the REANA workspace layout, bounds on quantities and
 * durations (HPCJob and VirtualCluster), and the pilot script builder quoting every value it writes.
 */
import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { classAdProblem, validateSpec } from '../../src/controllers/hpcjob/validate.js';
import { validateVirtualClusterSpec } from '../../src/controllers/virtualcluster/validate.js';
import { hpcJobCRD, virtualClusterCRD } from '../../src/crds/crd.js';
import type { JSONSchemaProps } from '../../src/crds/schema.js';
import type { VirtualClusterSpec } from '../../src/crds/virtualcluster.js';
import { adapterFor } from '../../src/sites/batch.js';
import { pilotScript, type PilotOptions } from '../../src/sites/pilot.js';
import { durationMs, durationProblem, quantityProblem } from '../../src/util/units.js';

const WS = '/reana/users/u-1/workflows/w-1';

describe('classAdProblem', () => {
  it.each([
    // HTCondor drops comments; a naive bracket count does not: this one would close the operator's parentheses.
    ['true /* ( */ ) || ( true /* ) */', /comments/],
    ['true // x', /comments/],
    ['true */', /HTCondor cannot parse it: expected an operand/],
    ['TARGET.Name == "a\nqueue 5"', /control character/],
    ['TARGET.Name == "a\rb"', /control character/],
    ['TARGET.Name == "a\u0000b"', /control character/],
    ['TARGET.Name == "$(Owner)"', /macros/],
    ['TARGET.Name == "$$(Memory)"', /macros/],
    ['true\u2028|| false', /not part of the ClassAd language/],
    ['true\u00a0|| false', /not part of the ClassAd language/],
  ])('refuses %j', (e, why) => expect(classAdProblem(e)).toMatch(why));

  it.each([
    'TARGET.Name == "cost: 5$"',
    'TARGET.Memory\t>= 2048',
    'TARGET.Name == "/* ) || ( */"',
    'a / b * c',
  ])('accepts %j', (e) => expect(classAdProblem(e)).toBeUndefined());
});

describe('validateSpec', () => {
  const job = (extra: object) => ({ command: ['true'], ...extra });

  it('accepts a REANA workspace under any root, and nothing else', () => {
    for (const path of [WS, `${WS}/sub`, '/var/reana/users/u/workflows/w', '/eos/x/users/u/workflows/w'])
      expect(validateSpec(job({ workspace: { path } }))).toBeUndefined();
    for (const path of [
      '/etc',
      '/root/.kube',
      '/reana/users/u',
      '/reana/users/%2e%2e/workflows/w',
      '/reana/other',
    ])
      expect(validateSpec(job({ workspace: { path } }))).toMatchObject({
        field: 'spec.workspace.path',
        reason: 'InvalidWorkspace',
      });
  });

  it('refuses memory and disk HTCondor cannot carry, and durations no setting can hold', () => {
    const resources = (r: object) => validateSpec(job({ resources: r }));
    expect(resources({ memory: '8796093022208Mi' })).toMatchObject({ field: 'spec.resources.memory' });
    expect(resources({ memory: '0' })).toMatchObject({
      field: 'spec.resources.memory',
      reason: 'InvalidQuantity',
    });
    expect(resources({ memory: 2 ** 50 })).toBeUndefined();
    expect(resources({ disk: '99999999999999999999T' })).toMatchObject({ field: 'spec.resources.disk' });
    expect(resources({ walltime: '0s' })).toMatchObject({ field: 'spec.resources.walltime' });
    expect(resources({ walltime: '9999999d9999999d' })).toMatchObject({ reason: 'InvalidDuration' });
    expect(resources({ walltime: '68y' })).toMatchObject({ reason: 'InvalidDuration' });
    expect(resources({ walltime: '24855d' })).toBeUndefined();
  });
});

describe('quantityProblem and durationProblem', () => {
  it('bound what is passed on', () => {
    expect(quantityProblem('1Pi')).toBe('is not a quantity');
    expect(quantityProblem('1024Ti')).toBeUndefined();
    expect(quantityProblem('1025Ti')).toBe('must be at most 1Pi');
    expect(quantityProblem(-1)).toBe('must be more than 0');
    expect(durationProblem(`${2 ** 31 - 1}s`)).toBeUndefined();
    expect(durationProblem(`${2 ** 31}s`)).toMatch(/at most/);
    expect(durationProblem('0.0001ms')).toBeUndefined();
    expect(durationProblem('0ms')).toBe('must be more than 0');
  });
});

describe('validateVirtualClusterSpec', () => {
  const spec = (a: object, extra: object = {}): VirtualClusterSpec =>
    ({
      pool: { collectorHost: 'cm', pilotTokenSecretRef: { name: 't' } },
      allocations: [
        { name: 'a', batchSystem: 'slurm', loginHost: 'h', user: 'u', credentials: { secretName: 's' } },
        {
          name: 'b',
          batchSystem: 'slurm',
          loginHost: 'h',
          user: 'u',
          credentials: { secretName: 's' },
          ...a,
        },
      ],
      ...extra,
    }) as VirtualClusterSpec;

  it('names the field of an unusable duration or quantity', () => {
    expect(validateVirtualClusterSpec(spec({}))).toBeUndefined();
    // A lifetime this long has no expiry date: the reconciler used to throw on every pass.
    expect(validateVirtualClusterSpec(spec({}, { lifetime: '9999999d9999999d9999999d' }))).toMatchObject({
      field: 'spec.lifetime',
      reason: 'InvalidDuration',
    });
    expect(validateVirtualClusterSpec(spec({ walltime: '0s' }))).toMatchObject({
      field: 'spec.allocations[1].walltime',
    });
    expect(validateVirtualClusterSpec(spec({ workers: { idleShutdown: '9999999d' } }))).toMatchObject({
      field: 'spec.allocations[1].workers.idleShutdown',
    });
    expect(validateVirtualClusterSpec(spec({ workers: { memory: '99999999999999999999Ti' } }))).toMatchObject(
      {
        field: 'spec.allocations[1].workers.memory',
        reason: 'InvalidQuantity',
      },
    );
  });
});

describe('the CRD patterns', () => {
  const props = (crd: typeof hpcJobCRD) =>
    (crd.spec.versions[0]?.schema.openAPIV3Schema.properties.spec as JSONSchemaProps).properties ?? {};
  const job = props(hpcJobCRD);
  const pattern = (s: JSONSchemaProps | undefined) => new RegExp(s?.pattern as string);

  it('keep NUL out of free text and line breaks out of ClassAd expressions', () => {
    // Environment values may hold line breaks (the wrapper keeps each pair base64 until it exports it).
    const env = job.env?.items?.properties?.value;
    expect(pattern(env).test('any text; $(x) "q"')).toBe(true);
    expect(pattern(env).test('a\nLD_PRELOAD=/x.so')).toBe(true);
    expect(pattern(env).test('a\u0000b')).toBe(false);
    for (const s of [job.command?.items, job.args?.items, job.script]) {
      expect(pattern(s).test('multi\nline $(ok)')).toBe(true);
      expect(pattern(s).test('a\u0000b')).toBe(false);
    }
    expect(pattern(job.requirements).test('a\t== "b"')).toBe(true);
    expect(pattern(job.requirements).test('true\nqueue 5')).toBe(false);
    const setup = (
      (props(virtualClusterCRD as unknown as typeof hpcJobCRD).allocations as JSONSchemaProps)
        .items as JSONSchemaProps
    ).properties?.setup;
    expect(pattern(setup).test('module load x\n')).toBe(true);
    expect(pattern(setup).test('a\u0000')).toBe(false);
  });

  it('bound duration digits so that every duration makes a valid date', () => {
    const walltime = job.resources?.properties?.walltime;
    expect(pattern(walltime).test('9999999d9999999d9999999d')).toBe(true);
    expect(pattern(walltime).test('99999999d')).toBe(false);
    // The longest durations the 32 characters allow still make a date when added to now.
    for (const d of ['9999999d9999999d9999999d9999999d', '9999999.999999999d9999999d']) {
      expect([d, d.length <= 32, pattern(walltime).test(d)]).toEqual([d, true, true]);
      expect(Number.isNaN(new Date(Date.now() + durationMs(d)).getTime())).toBe(false);
    }
  });
});

describe('pilotScript', () => {
  const base: PilotOptions = {
    adapter: adapterFor('slurm'),
    request: { name: 'hp0-1', walltimeSeconds: 3600, nodes: 1, cores: 1, memoryMiB: 1024, logDir: 'logs' },
    virtualCluster: 'ns/vc',
    allocation: 'a',
    collectorHost: 'cm:9618',
    trustDomain: 'pool',
    token: { shared: '~/t' },
    condor: { source: 'path', sbinDir: '/usr/sbin' },
    idleShutdownSeconds: 300,
  };

  it('quotes the module name in its failure message too', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hpcop-fix-'));
    const module = `x"$(touch ${dir}/pwned)"\`touch ${dir}/pwned2\``;
    const script = pilotScript({ ...base, condor: { source: 'module', module } });
    const file = join(dir, 'p.sh');
    // A module command that fails: the script reports the name and exits before starting anything.
    writeFileSync(file, script.replace('set -u', 'set -u\nmodule() { return 1; }'));
    chmodSync(file, 0o755);
    const r = spawnSync('sh', [file], {
      env: { PATH: '/usr/bin:/bin', TMPDIR: dir, HOME: dir },
      encoding: 'utf8',
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`hpc pilot: module load failed: ${module}\n`);
    expect(spawnSync('ls', [dir]).stdout.toString()).not.toContain('pwned');
  });

  it('refuses names with line breaks, which would start a directive or a command', () => {
    expect(() => pilotScript({ ...base, allocation: 'a\ntouch /tmp/x' })).toThrow(
      'pilot allocation must not contain a line break',
    );
    expect(() => pilotScript({ ...base, virtualCluster: 'ns/v\r#SBATCH --uid=0' })).toThrow(
      'pilot virtualCluster must not contain a line break',
    );
  });

  it('keeps names inside the comment line as JSON strings', () => {
    const plain = pilotScript(base);
    const script = pilotScript({ ...base, allocation: 'a" #SBATCH --uid=0', virtualCluster: 'ns/v\u2028x' });
    const directives = (t: string) => t.split('\n').filter((l) => /^#SBATCH/.test(l));
    expect(directives(script)).toEqual(directives(plain));
    expect(script).toContain(
      `# Pilot "hp0-1" of VirtualCluster "ns/v\u2028x", allocation ${JSON.stringify('a" #SBATCH --uid=0')}.`,
    );
  });

  it.each([
    ['walltimeSeconds', { request: { ...base.request, walltimeSeconds: 1e30 } }],
    ['memoryMiB', { request: { ...base.request, memoryMiB: 1.5 } }],
    ['cores', { request: { ...base.request, cores: 0 } }],
    ['nodes', { request: { ...base.request, nodes: NaN } }],
    ['idleShutdownSeconds', { idleShutdownSeconds: -1 }],
  ])('refuses a %s that is not a whole number in range', (field, o) => {
    expect(() => pilotScript({ ...base, ...o })).toThrow(new RegExp(`pilot ${field} must be a whole number`));
  });
});
