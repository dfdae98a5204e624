/**
 * Loading the kubeconfig the way kubectl does (--kubeconfig, else $KUBECONFIG, else ~/.kube/config, else the
 * in-cluster ServiceAccount), with a one-line reason when nothing usable is there. client-node on its own
 * throws a raw TypeError on an empty file and silently falls back to http://localhost:8080 when there is
 * no kubeconfig at all; a person needs to hear which file was read and what it lacks.
 */
import * as k8s from '@kubernetes/client-node';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from './args.js';
import { CliError } from './errors.js';

export interface LoadOptions {
  kubeconfig?: string;
  context?: string;
  env: NodeJS.ProcessEnv;
}

const HINT = 'set KUBECONFIG, or pass --kubeconfig FILE (and --context NAME)';

export function loadKubeConfig(o: LoadOptions): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  const files = kubeconfigFiles(o);
  if (files.length === 0) {
    if (!o.env.KUBERNETES_SERVICE_HOST)
      throw new CliError(`no kubeconfig: $KUBECONFIG is not set and ~/.kube/config does not exist; ${HINT}`);
    kc.loadFromCluster();
    return kc;
  }
  for (const file of files) {
    if (readFileSync(file, 'utf8').trim() === '')
      throw new CliError(`the kubeconfig ${file} is empty: ${HINT}`);
  }
  try {
    // Files in order, the first one's current context winning, as kubectl merges $KUBECONFIG.
    kc.loadFromFile(files[0] as string);
    for (const file of files.slice(1)) {
      const more = new k8s.KubeConfig();
      more.loadFromFile(file);
      kc.mergeConfig(more, true);
    }
  } catch (e) {
    const why =
      e instanceof TypeError ? 'it is not a kubeconfig (no clusters, users or contexts)' : String(e);
    throw new CliError(`cannot load the kubeconfig ${files.join(':')}: ${why}`);
  }
  selectContext(kc, o.context, files.join(':'));
  return kc;
}

/** The files kubectl would read: --kubeconfig, else every existing $KUBECONFIG entry, else ~/.kube/config. */
function kubeconfigFiles(o: LoadOptions): string[] {
  if (o.kubeconfig) {
    if (!existsSync(o.kubeconfig))
      throw new CliError(`cannot load the kubeconfig ${o.kubeconfig}: no such file`);
    return [o.kubeconfig];
  }
  if (o.env.KUBECONFIG) {
    const listed = o.env.KUBECONFIG.split(':').filter((f) => f !== '');
    const found = listed.filter((f) => existsSync(f));
    if (found.length === 0)
      throw new CliError(`cannot load the kubeconfig ${o.env.KUBECONFIG}: no such file; ${HINT}`);
    return found;
  }
  const home = join(o.env.HOME ?? homedir(), '.kube', 'config');
  return existsSync(home) ? [home] : [];
}

function selectContext(kc: k8s.KubeConfig, context: string | undefined, where: string): void {
  const names = kc.getContexts().map((c) => c.name);
  if (context) {
    if (!names.includes(context))
      throw new UsageError(
        `no context ${context} in the kubeconfig ${where} (contexts: ${names.join(', ') || 'none'})`,
      );
    kc.setCurrentContext(context);
  }
  const current = kc.getCurrentContext();
  if (!current || !kc.getContextObject(current)) {
    throw new CliError(
      names.length === 0
        ? `the kubeconfig ${where} has no contexts: ${HINT}`
        : `the kubeconfig ${where} has no current context: pass --context NAME (contexts: ${names.join(', ')})`,
    );
  }
  if (!kc.getCurrentCluster())
    throw new CliError(`context ${current} of the kubeconfig ${where} names no cluster that it defines`);
}
