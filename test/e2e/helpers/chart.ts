/**
 * Rendering the manifests of config/ and charts/hpc-operator for the install checks (install.e2e.test.ts,
 * chart.e2e.test.ts): kubectl and helm as the user runs them, the stack's environment on PATH.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { REPO } from '../../support/stack/stack.js';

export const OPERATOR_NS = 'hpc-operator-system';
export const HELM = join(REPO, '.cache/bin/helm');
export const CHART = join(REPO, 'charts/hpc-operator');

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [field: string]: unknown;
}

/** Runs a command with the stack's environment (kubectl v1.34 from .cache/bin first on PATH). */
export function run(cmd: string, args: string[], o: { input?: string; cwd?: string } = {}): string {
  const r = spawnSync(cmd, args, { cwd: o.cwd ?? REPO, input: o.input, encoding: 'utf8', env: process.env });
  if (r.status !== 0)
    throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}:\n${r.stderr}${r.stdout}`.slice(0, 4000));
  return r.stdout;
}

export function docs(yaml: string): KubeObject[] {
  return parseAllDocuments(yaml)
    .map((d) => d.toJS() as KubeObject | null)
    .filter((o): o is KubeObject => o !== null);
}

export const kustomize = (dir: string) => docs(run('kubectl', ['kustomize', join(REPO, dir)]));

export function helm(args: string[]): string {
  if (!existsSync(HELM)) throw new Error(`${HELM} is missing: run hack/build-helm.sh (make helm)`);
  return run(HELM, args);
}

/** `helm template` of the chart into the operator's namespace, with `--set` values. */
export const helmTemplate = (set: string[] = []) =>
  docs(
    helm([
      'template',
      'hpc-operator',
      CHART,
      '--namespace',
      OPERATOR_NS,
      ...set.flatMap((s) => ['--set', s]),
    ]),
  );

/** Server-side dry run of objects (kubectl apply), as an admin. */
export function dryRun(objs: KubeObject[]): string {
  return run('kubectl', ['apply', '--dry-run=server', '-f', '-'], {
    input: objs.map((o) => JSON.stringify(o)).join('\n'),
  });
}

export const find = (objs: KubeObject[], kind: string, name?: string) =>
  objs.find((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
