/**
 * Hostile input end to end. Every case of test/fixtures/hostile/corpus.jsonl is applied to the local stack's
 * kube-apiserver with the real CRDs. A case the API server rejects must be rejected with a cause naming the
 * field and saying why. A case it stores goes through the operator's own code with the stored object
 * (defaults applied): validateSpec / validateVirtualClusterSpec, then the builders of what reaches a batch
 * system, and the hostile value must come out as inert data:
 *  - HPCJob: the exact submit description is parsed back by the real `condor_submit -dry-run` (one job, the
 *    intended attributes, nothing else), alone and batched with all others; its environment then goes
 *    through the real job wrapper to a recorder step, which must see exactly the spec's argv and env.
 *  - VirtualCluster: the exact pilot batch script passes `sh -n` in dash, bash and busybox, its directive
 *    block is exactly the intended one, and it runs (as nobody, side effects replaced by printf) to the
 *    point of starting condor_master with every value round-tripping byte for byte; the remote command line
 *    runs with the tools replaced by recorders; SLURM pilots pass the site's real `sbatch --test-only`.
 * Payloads try to `touch /tmp/<canary>`: that file must never appear, here or on the site.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  classAdLiteral,
  expr,
  renderSubmitDescription,
  renderSubmitDescriptions,
  s,
  type SubmitJob,
} from '../../src/condor/submit-description.js';
import {
  attemptLogDir,
  buildSubmitJob,
  WALLTIME_REQUIREMENT,
} from '../../src/controllers/hpcjob/description.js';
import { planStaging } from '../../src/controllers/hpcjob/staging.js';
import { validateSpec } from '../../src/controllers/hpcjob/validate.js';
import {
  pilotScriptFor,
  pilotSubmitCommand,
  siteDirPlain,
} from '../../src/controllers/virtualcluster/pilots.js';
import { pilotPrefix } from '../../src/controllers/virtualcluster/planning.js';
import { validateVirtualClusterSpec } from '../../src/controllers/virtualcluster/validate.js';
import { API_VERSION, GROUP, VERSION } from '../../src/crds/common.js';
import type { HPCJob } from '../../src/crds/hpcjob.js';
import type { Allocation, VirtualCluster } from '../../src/crds/virtualcluster.js';
import { adapterFor } from '../../src/sites/batch.js';
import { WALLTIME_START } from '../../src/sites/pilot.js';
import { SshTransport } from '../../src/sites/ssh.js';
import { durationMs, quantityKiB, quantityMiB } from '../../src/util/units.js';
import { CANARY, expand, loadCorpus, type Expect, type HostileCase } from '../fixtures/hostile/corpus.js';
import {
  SHELLS,
  asNobody,
  decodeWord,
  decodeWords,
  dryRun,
  parseV2Env,
  queueStatements,
  runPilot,
  runRemoteCommand,
  sandbox,
  syntaxCheck,
  type Ad,
} from '../fixtures/hostile/harness.js';
import { createNamespace, deleteNamespace, installCRDs } from '../support/stack/kube.js';
import { OperatorProcess } from '../support/stack/operator.js';
import {
  REPO,
  condorCli,
  kubeConfig,
  schedd,
  siteLogin,
  uniqueName,
  waitFor,
} from '../support/stack/stack.js';

const kc = kubeConfig();
const co = kc.makeApiClient(k8s.CustomObjectsApi);
const ext = kc.makeApiClient(k8s.ApiextensionsV1Api);
const cli = condorCli();
const ns = uniqueName('e2e-hostile');
/** Same length as the placeholder, so that no case changes its verdict by the substitution. */
const canary = `hp${randomBytes(4).toString('hex')}`;
const CANARY_FILE = `/tmp/${canary}`;
const work = mkdtempSync(join(tmpdir(), 'hpcop-hostile-'));
const logDir = join(work, 'logs');
const WRAPPER = join(REPO, 'wrapper', 'hpc-wrapper.sh');
const OPERATOR_ID = `hostile-${canary}`;
const TRUST_DOMAIN = 'pool.example.org';
const BUNDLE_SHA = 'a'.repeat(64);
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

const corpus: HostileCase[] = loadCorpus().map((c) => ({
  ...c,
  spec: expand(c.spec, canary),
  ...(c.metadataName !== undefined ? { metadataName: expand(c.metadataName, canary) } : {}),
}));
const jobCases = corpus.filter((c) => c.kind === 'HPCJob');
const vcCases = corpus.filter((c) => c.kind === 'VirtualCluster');

// ------------------------------------------------------------------------------------- the API server

type Applied =
  | { stored: HPCJob | VirtualCluster }
  | { status: number; message: string; causes: { field?: string; message?: string }[]; name: string };

const PLURAL = { HPCJob: 'hpcjobs', VirtualCluster: 'virtualclusters' } as const;

/**
 * The CRDs' resourceVersions while ours are installed. Other test files share this API server and install
 * their own CRDs (the committed ones) in their beforeAll: before each case ours are put back if they were
 * replaced, and a case whose verdict straddles a replacement is applied again.
 */
let ours = '';
let reinstalls = 0;

async function crdVersions(): Promise<string> {
  const v: string[] = [];
  for (const plural of Object.values(PLURAL))
    v.push(
      String(
        (await ext.readCustomResourceDefinition({ name: `${plural}.${GROUP}` })).metadata?.resourceVersion,
      ),
    );
  return v.join(',');
}

/** Installs our CRDs and waits until the API server validates with them (a value only ours refuse). */
async function installOurs(): Promise<void> {
  await installCRDs(kc);
  reinstalls++;
  const probe = {
    apiVersion: API_VERSION,
    kind: 'HPCJob',
    metadata: { name: 'probe' },
    spec: { command: ['true'], args: ['a\u0000b'] },
  };
  await waitFor('the API server to validate with the installed CRDs', async () => {
    try {
      await co.createNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: ns,
        plural: 'hpcjobs',
        body: probe,
        dryRun: 'All',
      });
      return false;
    } catch (e) {
      return (e as k8s.ApiException<unknown>).code === 422;
    }
  });
  ours = await crdVersions();
}

async function createOnce(c: HostileCase, name: string): Promise<Applied> {
  const body = { apiVersion: API_VERSION, kind: c.kind, metadata: { name }, spec: c.spec };
  try {
    const stored = (await co.createNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: ns,
      plural: PLURAL[c.kind],
      body,
    })) as HPCJob | VirtualCluster;
    return { stored };
  } catch (e) {
    const err = e as k8s.ApiException<unknown> & { code?: unknown };
    if (typeof err.code !== 'number') {
      // A body past the API server's limit is refused while it is still being sent: the connection is
      // reset before the 413 can be read. Whether the object exists is checked by the caller.
      if (JSON.stringify(body).length > 3 * 1024 * 1024 && /ECONNRESET|EPIPE/.test(String(e)))
        return {
          status: 0,
          message: `connection reset while sending the body: ${String(e)}`,
          causes: [],
          name,
        };
      throw e;
    }
    const text = typeof err.body === 'string' ? err.body : JSON.stringify(err.body);
    let status: { message?: string; details?: { causes?: { field?: string; message?: string }[] } } = {};
    try {
      status = JSON.parse(text) as typeof status;
    } catch {
      status = { message: text };
    }
    return { status: err.code, message: status.message ?? text, causes: status.details?.causes ?? [], name };
  }
}

async function apply(c: HostileCase): Promise<Applied> {
  // Short generated names: HPCJob names are limited to 63 characters, VirtualCluster names to 40.
  const name = c.metadataName ?? `${c.kind === 'HPCJob' ? 'j' : 'v'}-${sha(c.name).slice(0, 12)}`;
  for (let attempt = 0; attempt < 4; attempt++) {
    if ((await crdVersions()) !== ours) await installOurs();
    const before = ours;
    const r = await createOnce(c, name);
    if ((await crdVersions()) === before) return r;
    if ('stored' in r)
      await co.deleteNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: ns,
        plural: PLURAL[c.kind],
        name,
      });
  }
  throw new Error('the CRDs keep being replaced by another test: no verdict can be trusted');
}

async function exists(kind: HostileCase['kind'], name: string): Promise<boolean> {
  try {
    await co.getNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: ns,
      plural: PLURAL[kind],
      name,
    });
    return true;
  } catch (e) {
    if ((e as k8s.ApiException<unknown>).code === 404) return false;
    throw e;
  }
}

/**
 * Applies the case and checks the API server's answer against the expectation; returns the stored object when
 * it was stored. A rejected object must not exist afterwards.
 */
async function applyAndCheck<T>(c: HostileCase): Promise<T | undefined> {
  const r = await apply(c);
  if (!('stored' in r)) expect([c.name, await exists(c.kind, r.name)]).toEqual([c.name, false]);
  const e = c.expect;
  if (e.outcome === 'rejected' && e.by === 'apiserver') {
    if ('stored' in r) throw new Error(`${c.name}: stored, but ${e.field} should be rejected (${e.message})`);
    expect(r.status).toBe(422);
    // The cause for this field says why; the message a person sees names the field too.
    const cause = r.causes.find((x) => x.field === e.field && (x.message ?? '').includes(e.message));
    if (!cause)
      throw new Error(
        `${c.name}: no cause for ${e.field} containing "${e.message}" in ${JSON.stringify(r.causes)}`,
      );
    expect(r.message).toContain(e.field);
    return undefined;
  }
  if (e.outcome === 'rejected' && e.by === 'apiserver-limit') {
    if ('stored' in r) throw new Error(`${c.name}: stored, but the body should exceed the request limit`);
    if (r.status !== 0) {
      expect(r.status).toBe(413);
      expect(r.message).toContain(e.message);
    }
    return undefined;
  }
  if (!('stored' in r))
    throw new Error(`${c.name}: the API server rejected it (${r.status} ${r.message}), expected it stored`);
  return r.stored as T;
}

/**
 * Checks the operator's own validation of a stored case against its expectation: true when the case is one
 * the operator refuses (and it did, naming the field), false when it must go on to be built (and had no
 * problem).
 */
function refusedByOperator(
  c: HostileCase,
  problem: { field: string; reason: string; message: string } | undefined,
) {
  const e: Expect = c.expect;
  if (e.outcome === 'rejected' && e.by === 'operator') {
    expect(problem).toMatchObject({ field: e.field, reason: e.reason });
    expect(problem?.message).toContain(e.field);
    return true;
  }
  expect(problem).toBeUndefined();
  return false;
}

beforeAll(async () => {
  await createNamespace(kc, ns);
  await installOurs();
  mkdirSync(logDir, { recursive: true });
});

afterAll(async () => {
  await deleteNamespace(kc, ns);
});

// ------------------------------------------------------------------------------------------ HPCJobs

/** The operator's options for attempt 1, as the reconciler passes them. */
async function descriptionOf(job: HPCJob): Promise<{ submit: SubmitJob; description: string; dir: string }> {
  const dir = attemptLogDir(logDir, job, 1);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const plan = await planStaging(job, dir, [], { read: async () => 'ticket-for-the-test' });
  if ('reason' in plan) throw new Error(`staging: ${plan.message}`);
  const ref = job.spec.virtualClusterRef?.name;
  const submit = buildSubmitJob(job, 1, {
    operatorId: OPERATOR_ID,
    wrapperPath: WRAPPER,
    attemptDir: dir,
    ...(ref ? { virtualCluster: `${job.metadata.namespace}/${ref}` } : {}),
    inputFiles: plan.inputFiles,
    ...(plan.transferDir ? { transferDir: plan.transferDir } : {}),
  });
  return { submit, description: renderSubmitDescription([submit]), dir };
}

/** The operator's own conjuncts for a job on a VirtualCluster or not, as description.ts writes them. */
function operatorRequirements(onVirtualCluster: boolean): string {
  return [
    '(TARGET.VirtualCluster =?= MY.HPCVirtualCluster)',
    ...(onVirtualCluster ? [WALLTIME_REQUIREMENT] : []),
  ].join(' && ');
}

/** By the operator's conjuncts: HTCondor's text of them up to where a user's expression begins. */
const operatorHeads = new Map<string, string>();

/**
 * The same job with only the operator's requirements: what HTCondor adds to them for this job (its own
 * clauses depend on the request) is then known, and the user's part can be told apart. Once per kind of
 * operator conjuncts, the same with a user expression `true`, to learn where a user's part begins.
 */
async function referenceAd(submit: SubmitJob): Promise<Ad> {
  const op = operatorRequirements(typeof submit.attributes.HPCVirtualCluster === 'string');
  const withRequirements = (text: string): SubmitJob => ({
    commands: { ...submit.commands, requirements: s.expr(expr(text)) },
    attributes: submit.attributes,
  });
  const [ad] = await dryRun(cli, renderSubmitDescription([withRequirements(op)]), work);
  if (!operatorHeads.has(op)) {
    const [withTrue] = await dryRun(
      cli,
      renderSubmitDescription([withRequirements(`${op} && (true)`)]),
      work,
    );
    const text = EXPR.exec(String((withTrue as Ad).Requirements))?.[1] as string;
    operatorHeads.set(op, text.slice(0, text.lastIndexOf('(true)') + 1));
  }
  return ad as Ad;
}

/** The index of the parenthesis closing the one at `open`, string literals skipped. */
function closing(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') {
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
      continue;
    }
    if (ch === '(') depth++;
    if (ch === ')' && --depth === 0) return i;
  }
  return -1;
}

const EXPR = /^\/Expr\((.*)\)\/$/s;

/** The string literals of an expression as HTCondor prints it (new ClassAd syntax: C escapes, octal bytes). */
function unparsedLiterals(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/"((?:[^"\\]|\\.)*)"/g)) {
    const bytes: number[] = [];
    const body = m[1] as string;
    for (let i = 0; i < body.length; i++) {
      const ch = body[i] as string;
      if (ch !== '\\') {
        bytes.push(...Buffer.from(ch, 'utf8'));
        continue;
      }
      const oct = /^[0-7]{1,3}/.exec(body.slice(i + 1));
      if (oct) {
        bytes.push(parseInt(oct[0], 8));
        i += oct[0].length;
        continue;
      }
      const next = body[++i] as string;
      const named: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f' };
      bytes.push(...Buffer.from(named[next] ?? next, 'utf8'));
    }
    out.push(Buffer.from(bytes).toString('utf8'));
  }
  return out;
}

/**
 * Requirements = ((operator's conjuncts) && (user expression)) && <HTCondor's own>: the user's text must
 * sit inside its own parentheses, so that it cannot reach the operator's conjuncts.
 */
function checkRequirements(ad: Ad, job: HPCJob, reference: Ad): void {
  const text = EXPR.exec(String(ad.Requirements))?.[1];
  const referenceText = EXPR.exec(String(reference.Requirements))?.[1] as string;
  expect(text).toBeDefined();
  const req = text as string;
  if (!job.spec.requirements) {
    expect(req).toBe(referenceText);
    return;
  }
  // HTCondor's own clauses for this job follow unchanged.
  const tail = (t: string) => t.slice(closing(t, 0) + 1);
  expect(tail(req)).toBe(tail(referenceText));
  const head = operatorHeads.get(operatorRequirements(typeof ad.HPCVirtualCluster === 'string')) as string;
  expect(head).toMatch(/^\(\(TARGET\.VirtualCluster is MY\.HPCVirtualCluster\) && .*\($/);
  expect(req.startsWith(head)).toBe(true);
  // The user's parentheses close right before the ones around both conjuncts.
  expect(closing(req, 0)).toBe(closing(req, head.length - 1) + 1);
  // String literals reach HTCondor with the submit language's meaning: only \" is an escape there.
  const literals = unparsedLiterals(req);
  for (const lit of job.spec.requirements.match(/"(?:[^"\\]|\\.)*"/g) ?? [])
    expect(literals).toContain(lit.slice(1, -1).replace(/\\"/g, '"'));
}

/** What the wrapper must receive, decoded from the ad's environment and compared with the spec. */
function checkWrapperEnv(adEnv: Map<string, string>, job: HPCJob): void {
  // A batch renders a variable that another job sets as empty; the wrapper treats empty as unset.
  const env = new Map([...adEnv].filter(([, v]) => v !== ''));
  const spec = job.spec;
  const ws = spec.workspace;
  const expected: Record<string, string | undefined> = {
    HPC_JOB: `${job.metadata.namespace}/${job.metadata.name}`,
    HPC_ATTEMPT: '1',
    HPC_RUNTIME: spec.image ? (spec.containerRuntime ?? 'auto') : 'none',
    HPC_STAGING: ws ? (ws.staging ?? 'chirp') : undefined,
    HPC_CHIRP_SERVER: ws?.chirp?.server,
  };
  for (const [k, v] of Object.entries(expected)) expect([k, env.get(k)]).toEqual([k, v]);
  const one = (k: string) => (env.has(k) ? decodeWord(env.get(k) as string) : undefined);
  const list = (k: string) => (env.has(k) ? decodeWords(env.get(k)) : undefined);
  const nonEmpty = <T>(a: T[] | undefined) => (a && a.length > 0 ? a : undefined);
  expect(list('HPC_ARGV')).toEqual(spec.command ? [...spec.command, ...(spec.args ?? [])] : undefined);
  expect(one('HPC_SCRIPT')).toBe(spec.script);
  expect(list('HPC_ENV')).toEqual(nonEmpty(spec.env?.map((e) => `${e.name}=${e.value ?? ''}`)));
  expect(one('HPC_IMAGE')).toBe(spec.image);
  expect(one('HPC_WORKSPACE')).toBe(ws?.path);
  expect(one('HPC_CHIRP_ROOT')).toBe(ws?.chirp?.root);
  expect(one('HPC_WORKDIR')).toBe(spec.workingDir);
  expect(list('HPC_INPUTS')).toEqual(nonEmpty(ws?.inputs));
  expect(list('HPC_OUTPUTS')).toEqual(nonEmpty(ws?.outputs));
  const allowed = new Set([
    ...Object.keys(expected),
    'HPC_ARGV',
    'HPC_SCRIPT',
    'HPC_ENV',
    'HPC_IMAGE',
    'HPC_WORKSPACE',
    'HPC_CHIRP_ROOT',
    'HPC_WORKDIR',
    'HPC_INPUTS',
    'HPC_OUTPUTS',
  ]);
  for (const k of env.keys()) expect([k, allowed.has(k)]).toEqual([k, true]);
}

/** Attributes whose value depends on the spec or the moment; checked one by one, not against the control. */
const SPEC_DEPENDENT = new Set([
  'Environment',
  'Iwd',
  'JobBatchName',
  'HPCJobRef',
  'HPCJobUID',
  'HPCVirtualCluster',
  'RequestCpus',
  'RequestMemory',
  'RequestDisk',
  'RequestGPUs',
  'AllowedExecuteDuration',
  'Requirements',
  'AcctGroup',
  'AcctGroupUser',
  'AccountingGroup',
  'TransferInput',
  'QDate',
  'EnteredCurrentStatus',
  'ClusterId',
  'ProcId',
  'JobSubmitFile',
  'SubmitEventNotes',
  // The submitter's view of its own files, which differ in size per job (the ticket, the description).
  'TransferInputSizeMB',
  'DiskUsage',
  'ImageSize',
  'ExecutableSize',
]);

/** The job ad must hold exactly the intended values, and nothing the control job does not have. */
function checkJobAd(ad: Ad, job: HPCJob, dir: string, control: Ad, reference: Ad): void {
  const spec = job.spec;
  const ref = `${job.metadata.namespace}/${job.metadata.name}`;
  const r = spec.resources ?? {};
  expect(ad.Cmd).toBe(WRAPPER);
  expect(ad.Iwd).toBe(dir);
  expect(ad.JobBatchName).toBe(ref);
  expect(ad.HPCJobRef).toBe(ref);
  expect(ad.HPCJobUID).toBe(job.metadata.uid);
  expect(ad.HPCOperator).toBe(OPERATOR_ID);
  expect(ad.HPCJobAttempt).toBe(1);
  expect(ad.HPCVirtualCluster).toBe(
    spec.virtualClusterRef ? `${job.metadata.namespace}/${spec.virtualClusterRef.name}` : null,
  );
  expect(ad.RequestCpus).toBe(r.cpus ?? 1);
  expect(ad.RequestMemory).toBe(quantityMiB(r.memory ?? '1Gi'));
  if (r.disk !== undefined) expect(ad.RequestDisk).toBe(quantityKiB(r.disk));
  expect(ad.RequestGPUs).toBe(r.gpus ? r.gpus : undefined);
  expect(ad.AllowedExecuteDuration).toBe(r.walltime ? Math.ceil(durationMs(r.walltime) / 1000) : undefined);
  expect(ad.AcctGroup).toBe(spec.accountingGroup);
  // The wrapper gets no arguments: everything travels in its environment.
  expect(ad.Arguments ?? '').toBe('');
  checkRequirements(ad, job, reference);
  checkWrapperEnv(parseV2Env(String(ad.Environment ?? '')), job);
  for (const [k, v] of Object.entries(ad)) {
    if (SPEC_DEPENDENT.has(k)) continue;
    expect([k, v]).toEqual([k, control[k]]);
  }
}

/** A step that records its argv and environment (NUL-separated) instead of doing anything. */
const RECORDER = (() => {
  const dir = sandbox('hpcop-recorder-');
  const path = join(dir, 'record');
  writeFileSync(
    path,
    '#!/bin/sh\nfor a in "$@"; do printf \'%s\\0\' "$a"; done > "$HW_REC/argv"\nenv -0 > "$HW_REC/env"\n',
  );
  chmodSync(path, 0o755);
  return path;
})();

/**
 * Runs the real wrapper (dash, as nobody) with the job's environment as HTCondor parsed it, staging and
 * runtime off, and the recorder put in front of the step's argv (or instead of a script): the step must get
 * exactly the spec's argv, and its environment exactly the spec's variables on top of the wrapper's.
 */
function wrapperView(adEnv: Map<string, string>): {
  status: number | null;
  argv: string[];
  env: Map<string, string>;
} {
  const box = sandbox('hpcop-hostile-wrapper-');
  const env: Record<string, string> = Object.fromEntries(adEnv);
  for (const k of [
    'HPC_WORKSPACE',
    'HPC_STAGING',
    'HPC_CHIRP_SERVER',
    'HPC_CHIRP_ROOT',
    'HPC_INPUTS',
    'HPC_OUTPUTS',
    'HPC_IMAGE',
  ])
    delete env[k];
  env.HPC_RUNTIME = 'none';
  const recorder = Buffer.from(RECORDER).toString('base64');
  env.HPC_ARGV = env.HPC_SCRIPT || !env.HPC_ARGV ? recorder : `${recorder} ${env.HPC_ARGV}`;
  delete env.HPC_SCRIPT;
  const r = spawnSync(...asNobody(['dash', WRAPPER]), {
    cwd: box,
    env: { PATH: '/usr/bin:/bin', _CONDOR_SCRATCH_DIR: box, HOME: box, HW_REC: box, ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  const read = (f: string) => (existsSync(join(box, f)) ? readFileSync(join(box, f), 'utf8') : '');
  const argv = read('argv').split('\0').slice(0, -1);
  const stepEnv = new Map<string, string>();
  for (const kv of read('env').split('\0')) {
    const i = kv.indexOf('=');
    if (i > 0) stepEnv.set(kv.slice(0, i), kv.slice(i + 1));
  }
  if (r.status !== 0) throw new Error(`the wrapper exited ${r.status}: ${r.stderr}`);
  return { status: r.status, argv, env: stepEnv };
}

describe('HPCJob hostile corpus', () => {
  /** Jobs that reached a submit description, for the batched dry-run. */
  const described: { c: HostileCase; job: HPCJob; submit: SubmitJob; ad: Ad; reference: Ad; dir: string }[] =
    [];
  let control: Ad;
  let controlStepEnv: Set<string>;

  beforeAll(async () => {
    // The control: the baseline job, whose ad every hostile job's fixed attributes must equal.
    const base = jobCases.find((c) => c.name === 'job-baseline-command') as HostileCase;
    const stored = (await applyAndCheck<HPCJob>({ ...base, name: 'control' })) as HPCJob;
    const { description } = await descriptionOf(stored);
    const ads = await dryRun(cli, description, work);
    expect(ads).toHaveLength(1);
    control = ads[0] as Ad;
    controlStepEnv = new Set(wrapperView(parseV2Env(String(control.Environment))).env.keys());
  });

  it.each(jobCases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const stored = await applyAndCheck<HPCJob>(c);
    if (!stored) return;
    if (refusedByOperator(c, validateSpec(stored.spec))) return;
    const { submit, description, dir } = await descriptionOf(stored);
    // One job per HPCJob: one queue statement, one proc, with the intended attributes and no others.
    expect(queueStatements(description)).toHaveLength(1);
    const ads = await dryRun(cli, description, work);
    expect(ads).toHaveLength(1);
    const ad = ads[0] as Ad;
    const reference = await referenceAd(submit);
    checkJobAd(ad, stored, dir, control, reference);
    described.push({ c, job: stored, submit, ad, reference, dir });

    // Through the real wrapper to the step.
    const view = wrapperView(parseV2Env(String(ad.Environment)));
    const spec = stored.spec;
    expect(view.argv).toEqual(spec.command ? [...spec.command, ...(spec.args ?? [])] : []);
    const userEnv = new Map((spec.env ?? []).map((x) => [x.name, x.value ?? '']));
    for (const [k, v] of userEnv) expect([k, view.env.get(k)]).toEqual([k, v]);
    for (const k of view.env.keys())
      if (!userEnv.has(k)) expect([k, controlStepEnv.has(k)]).toEqual([k, true]);
    expect(existsSync(CANARY_FILE)).toBe(false);
  });

  it('batched like the operator batches them, every job is parsed back exactly as on its own', async () => {
    expect(described.length).toBeGreaterThan(50);
    // Jobs with and without input files (the chirp ticket) that agree on everything else are among them.
    const files = (name: string) => described.find((d) => d.c.name === name)?.ad.TransferInput;
    expect(files('job-baseline-command')).toEqual(expect.any(String));
    expect(files('job-baseline-no-workspace')).toBeUndefined();
    expect(described.some((d) => d.c.name === 'job-baseline-no-workspace')).toBe(true);
    const batches = renderSubmitDescriptions(described.map((d) => d.submit));
    // Jobs are batched: fewer descriptions than jobs.
    expect(batches.length).toBeLessThan(described.length);
    let procs = 0;
    for (const { description, jobs } of batches) {
      expect(queueStatements(description)).toHaveLength(1);
      const ads = await dryRun(cli, description, work);
      // One proc per job, in order.
      expect(ads).toHaveLength(jobs.length);
      ads.forEach((ad, i) => {
        const d = described[jobs[i] as number] as (typeof described)[number];
        checkJobAd(ad, d.job, d.dir, control, d.reference);
        // The same attributes with the same values: nothing inherited from another job of the batch.
        const volatile = ['ClusterId', 'ProcId', 'QDate', 'EnteredCurrentStatus', 'Environment'];
        const keys = (a: Ad) =>
          Object.keys(a)
            .filter((k) => !volatile.includes(k))
            .sort();
        // An attribute only other jobs of the batch set is `undefined` here: in ClassAd matching the same as
        // absent (HPCWalltimeNeeded of a job on a VirtualCluster beside jobs that are not).
        const unset = (k: string) => (ad[k] === null || ad[k] === undefined) && !(k in d.ad);
        expect([d.c.name, keys(ad).filter((k) => !unset(k))]).toEqual([d.c.name, keys(d.ad)]);
        for (const k of keys(d.ad)) expect([d.c.name, k, ad[k]]).toEqual([d.c.name, k, d.ad[k]]);
        // In a batch a variable another job sets is empty here, which the wrapper takes as unset.
        const set = (raw: unknown) => [...parseV2Env(String(raw))].filter(([, v]) => v !== '');
        expect([d.c.name, set(ad.Environment)]).toEqual([d.c.name, set(d.ad.Environment)]);
      });
      procs += ads.length;
    }
    expect(procs).toBe(described.length);
  });
});

// ---------------------------------------------------------------------------------- VirtualClusters

const DIRECTIVE = /^#(SBATCH|PBS|BSUB|\$) /;

/** What a pilot's directives must ask for, straight from the spec. */
function intendedRequest(a: Allocation, name: string) {
  const w = a.workers ?? {};
  return {
    name,
    account: a.account,
    queue: a.queue,
    walltimeSeconds: Math.floor(durationMs(a.walltime ?? '1h') / 1000),
    nodes: w.nodes ?? 1,
    cores: w.cores ?? 1,
    memoryMiB: quantityMiB(w.memory ?? '2Gi'),
    logDir: 'logs',
    // gpuRequest BatchSystem (the default) puts the GPUs, and the model, into the directives.
    ...(w.gpuRequest === 'None' ? {} : { gpus: w.gpus, gpuType: w.gpuType }),
  };
}

/** A site path as the site's shell sees it, with HOME at `home`. */
const onSite = (p: string, home: string) => (p.startsWith('~/') ? `${home}/${p.slice(2)}` : p);

const sshLogin = siteLogin();
const ssh = new SshTransport({ ...sshLogin, hostKeys: [sshLogin.knownHosts] });
afterAll(() => ssh.close());

describe('VirtualCluster hostile corpus', () => {
  const slurmScripts: { name: string; script: string }[] = [];
  /** The environment of the baseline pilot under each shell (bash adds SHLVL, say). */
  const controlEnv = new Map<string, Set<string>>();

  beforeAll(async () => {
    const base = vcCases.find((c) => c.name === 'vc-baseline-slurm') as HostileCase;
    const stored = (await applyAndCheck<VirtualCluster>({ ...base, name: 'control' })) as VirtualCluster;
    const a = stored.spec.allocations?.[0] as Allocation;
    const script = pilotScriptFor(stored, a, 'hp00000000-0', TRUST_DOMAIN);
    for (const sh of SHELLS)
      controlEnv.set(sh.join(' '), new Set(runPilot(script, sh, sandbox('hpcop-hostile-pilot-')).env.keys()));
  });

  it.each(vcCases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const stored = await applyAndCheck<VirtualCluster>(c);
    if (!stored) return;
    if (refusedByOperator(c, validateVirtualClusterSpec(stored.spec))) return;
    for (const a of stored.spec.allocations ?? []) {
      const name = `${pilotPrefix(stored.metadata.uid as string, a.name, sha)}0`;
      const script = pilotScriptFor(stored, a, name, TRUST_DOMAIN, {
        bundleSha256: BUNDLE_SHA,
        updateIntervalSeconds: 60,
      });
      const box = sandbox('hpcop-hostile-pilot-');

      for (const sh of SHELLS)
        expect([sh.join(' '), syntaxCheck(script, sh, box)]).toEqual([
          sh.join(' '),
          { status: 0, stderr: '' },
        ]);

      // The directive block is exactly the intended one, and no other line is a directive.
      const lines = script.split('\n');
      const adapter = adapterFor(a.batchSystem);
      const block = lines.slice(1, 1 + adapter.directives(intendedRequest(a, name)).length);
      expect(block).toEqual(adapter.directives(intendedRequest(a, name)));
      expect(lines.filter((l) => DIRECTIVE.test(l))).toEqual(block);

      for (const sh of SHELLS) {
        const run = runPilot(script, sh, sandbox('hpcop-hostile-pilot-'));
        expect([sh.join(' '), run.status, run.stderr]).toEqual([sh.join(' '), 0, '']);
        checkPilotRun(run, stored, a, name, controlEnv.get(sh.join(' ')) as Set<string>);
      }

      // The remote command: cd into the allocation's directory, store the script, submit exactly it.
      const rbox = sandbox('hpcop-hostile-remote-');
      mkdirSync(join(rbox, 'pilots'));
      chmodSync(join(rbox, 'pilots'), 0o777);
      const submitArgv = adapter.submit(`pilots/${name}.sh`);
      const tool = submitArgv[0] as string;
      const remote = runRemoteCommand(pilotSubmitCommand(stored, a, name), rbox, [tool]);
      expect(remote.status).toBe(0);
      expect(remote.calls.cd).toEqual([onSite(siteDirPlain(stored, a), join(rbox, 'home'))]);
      expect(remote.calls[tool]).toEqual(submitArgv.slice(1));
      if (a.batchSystem === 'slurm') slurmScripts.push({ name: c.name, script });
    }
    expect(existsSync(CANARY_FILE)).toBe(false);
  });

  /** The pilot ran up to condor_master with every value as the spec has it. */
  function checkPilotRun(
    run: ReturnType<typeof runPilot>,
    vc: VirtualCluster,
    a: Allocation,
    name: string,
    controlEnv: Set<string>,
  ): void {
    const home = String(run.env.get('HOME'));
    const tmp = String(run.env.get('TMPDIR'));
    const str = (f: string) => run.out[f]?.toString('utf8');
    const scratch = a.scratchDir ?? tmp;
    expect(str('D')).toBe(`${scratch}/hpcop-pilot-${name}-XXXXXX`);
    // The setup snippet decodes to exactly its bytes (it is run by eval on the site, not here).
    if (a.setup) expect(run.out.setup?.toString('hex')).toBe(Buffer.from(a.setup, 'utf8').toString('hex'));
    else expect(run.out.setup).toBeUndefined();
    const dir = onSite(siteDirPlain(vc, a), home);
    expect(str('token')).toBe(`${dir}/pilot.token`);
    const source = a.condor?.source ?? 'path';
    if (source === 'path') expect(str('master')).toBe(`${a.condor?.sbinDir ?? '/usr/sbin'}/condor_master`);
    if (source === 'module') expect(str('module')).toBe(`load\0${a.condor?.module ?? 'htcondor'}\0`);
    if (source === 'bundle') expect(str('tar')?.split('\0')[1]).toBe(`${dir}/condor-${BUNDLE_SHA}.tar.gz`);
    const w = a.workers ?? {};
    const want: Record<string, string> = {
      _CONDOR_CONDOR_HOST: vc.spec.pool.collectorHost,
      _CONDOR_COLLECTOR_HOST: vc.spec.pool.collectorHost,
      _CONDOR_TRUST_DOMAIN: TRUST_DOMAIN,
      _CONDOR_VirtualCluster: JSON.stringify(`${vc.metadata.namespace}/${vc.metadata.name}`),
      _CONDOR_HPCAllocation: JSON.stringify(a.name),
      _CONDOR_HPCPilot: JSON.stringify(name),
      _CONDOR_HPCContainerRuntime: JSON.stringify(a.containerRuntime ?? 'auto'),
      _CONDOR_START: `(TARGET.HPCVirtualCluster =?= ${JSON.stringify(`${vc.metadata.namespace}/${vc.metadata.name}`)}) && ${WALLTIME_START}`,
      _CONDOR_NUM_CPUS: String(w.cores ?? 1),
      _CONDOR_MEMORY: String(quantityMiB(w.memory ?? '2Gi')),
      _CONDOR_STARTD_NOCLAIM_SHUTDOWN: String(Math.floor(durationMs(w.idleShutdown ?? '5m') / 1000)),
    };
    for (const [k, v] of Object.entries(want)) expect([k, run.env.get(k)]).toEqual([k, v]);
    expect(run.env.get('_CONDOR_MASTER_NAME')).toMatch(new RegExp(`^${escapeRe(name)}-\\d+$`));
    // No variable the baseline pilot does not have, beyond what a bundle or a runtime hint adds.
    const extra = new Set([
      'LD_LIBRARY_PATH',
      '_CONDOR_RELEASE_DIR',
      '_CONDOR_LIBEXEC',
      '_CONDOR_STARTER_JOB_ENVIRONMENT',
    ]);
    for (const k of run.env.keys()) if (!controlEnv.has(k)) expect([k, extra.has(k)]).toEqual([k, true]);
  }

  it('every SLURM pilot script passes the site sbatch --test-only, and nothing ran there', async () => {
    expect(slurmScripts.length).toBeGreaterThan(20);
    for (const { name, script } of slurmScripts) {
      const r = await ssh.execScript(
        'f=$(mktemp) && cat > "$f" && sbatch --test-only "$f"; rc=$?; rm -f "$f"; exit $rc',
        {
          input: script,
        },
      );
      expect([name, r.code, r.stderr]).toEqual([name, 0, expect.stringContaining('to start at')]);
    }
    const probe = await ssh.execScript(`test ! -e /tmp/${canary}`);
    expect(probe.code).toBe(0);
  });
});

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// ------------------------------------------------------------------------------ the operator's verdict

/**
 * The cases the operator refuses, run by the real operator (its own process, namespace and operator id): each
 * must end Failed with the condition naming the field and the reason, and nothing may reach HTCondor or a
 * site. The other cases stay out of this namespace: a valid HPCJob would be submitted.
 */
describe('the operator refuses what its validation refuses, with a condition', () => {
  const opNs = uniqueName('e2e-hostile-op');
  const operatorId = opNs;
  const op = new OperatorProcess({ namespace: opNs, operatorId });
  const refusedCases = corpus.filter((c) => c.expect.outcome === 'rejected' && c.expect.by === 'operator');
  const nameOf = (c: HostileCase) => `${c.kind === 'HPCJob' ? 'j' : 'v'}-${sha(c.name).slice(0, 12)}`;

  beforeAll(async () => {
    await createNamespace(kc, opNs);
    await op.start();
  });

  afterAll(async () => {
    await op.stop();
    // Whatever a failed test left: finalizers lifted by hand once the operator is gone, for both kinds.
    for (const c of refusedCases)
      await co
        .patchNamespacedCustomObject(
          {
            group: GROUP,
            version: VERSION,
            namespace: opNs,
            plural: PLURAL[c.kind],
            name: nameOf(c),
            body: { metadata: { finalizers: null } },
          },
          k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
        )
        .catch(() => undefined);
    await deleteNamespace(kc, opNs);
  });

  it('marks every refused case Failed with the field and the reason, and submits nothing', async () => {
    expect(refusedCases.length).toBeGreaterThan(20);
    if ((await crdVersions()) !== ours) await installOurs();
    for (const c of refusedCases)
      await co.createNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: opNs,
        plural: PLURAL[c.kind],
        body: { apiVersion: API_VERSION, kind: c.kind, metadata: { name: nameOf(c) }, spec: c.spec },
      });
    type Stored = (HPCJob | VirtualCluster) & {
      status?: {
        phase?: string;
        conditions?: { type: string; status: string; reason: string; message: string }[];
      };
    };
    const read = async (c: HostileCase) =>
      (await co.getNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: opNs,
        plural: PLURAL[c.kind],
        name: nameOf(c),
      })) as Stored;
    await waitFor(
      'the operator to fail every refused case',
      async () => (await Promise.all(refusedCases.map(read))).every((o) => o.status?.phase === 'Failed'),
      120_000,
      1000,
    );
    for (const c of refusedCases) {
      const e = c.expect as Extract<Expect, { by: 'operator' }>;
      const o = await read(c);
      const conditions = o.status?.conditions ?? [];
      const type = c.kind === 'HPCJob' ? 'Accepted' : 'Ready';
      const cond = conditions.find((x) => x.type === type);
      expect([c.name, cond?.status, cond?.reason]).toEqual([c.name, 'False', e.reason]);
      expect([c.name, cond?.message.includes(e.field)]).toEqual([c.name, true]);
      if (c.kind === 'HPCJob') {
        expect([c.name, conditions.find((x) => x.type === 'Failed')?.reason]).toEqual([
          c.name,
          'InvalidSpec',
        ]);
        expect([c.name, conditions.some((x) => x.type === 'Submitted' && x.status === 'True')]).toEqual([
          c.name,
          false,
        ]);
      } else {
        // Nothing was tried on a site: no credential or reachability verdict, no allocation status.
        const site = conditions.filter((x) => ['CredentialsValid', 'SiteReachable'].includes(x.type));
        expect([c.name, site, (o.status as { allocations?: unknown[] }).allocations]).toEqual([
          c.name,
          [],
          undefined,
        ]);
      }
    }
    // No HTCondor job carries this operator's id, in the queue or the history.
    const sd = schedd();
    const constraint = `HPCOperator == ${classAdLiteral(operatorId)}`;
    expect(await sd.query(constraint, ['ClusterId'])).toEqual([]);
    expect(await sd.history(constraint, ['ClusterId'])).toEqual([]);
  });

  it('deletes a refused VirtualCluster at once: nothing was sent to a site, so nothing is left to clean', async () => {
    const refusedVCs = refusedCases.filter((c) => c.kind === 'VirtualCluster');
    expect(refusedVCs.length).toBeGreaterThan(0);
    for (const c of refusedVCs)
      await co.deleteNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: opNs,
        plural: PLURAL.VirtualCluster,
        name: nameOf(c),
      });
    await waitFor(
      'the refused VirtualClusters to be gone',
      async () => {
        const list = (await co.listNamespacedCustomObject({
          group: GROUP,
          version: VERSION,
          namespace: opNs,
          plural: PLURAL.VirtualCluster,
        })) as { items: unknown[] };
        return list.items.length === 0;
      },
      60_000,
      1000,
    );
  });
});

describe('the run', () => {
  it('left no canary behind', () => {
    expect(CANARY).toHaveLength(canary.length);
    expect(existsSync(CANARY_FILE)).toBe(false);
    // Informational: how often other tests' CRDs had to be replaced by ours (the first install counts).
    console.log(`hostile corpus: ${corpus.length} cases; CRDs installed ${reinstalls} time(s)`);
  });
});
