/**
 * STAND-IN: the VirtualCluster controller, minimal: a finalizer, the pool token and a fixed number of pilots
 * on the (single) allocation's site, the pilots' slots read from the collector (the call that a black-holed
 * collector makes hang), and on deletion every pilot cancelled and the token removed before the finalizer
 * goes.
 */
import type { CondorConnector } from '../../../src/condor/schedd-api.js';
import type { Allocation, VirtualCluster, VirtualClusterStatus } from '../../../src/crds/virtualcluster.js';
import type { Clock } from '../../../src/runtime/clock.js';
import type { ObjectWriter, Secrets } from '../../../src/runtime/kube-api.js';
import type { SiteConnector, SiteSession } from '../../../src/sites/session.js';
import type { Informer } from './informer.js';
import { WorkQueue } from './workqueue.js';

export const VC_FINALIZER = 'hpc.scailfin.io/pilot-cleanup';
const POLL_MS = 10_000;
/** The longest a pilot submission may take to happen (the SSH client's timeout and some). */
const SSH_WINDOW_MS = 40_000;

export interface VcControllerDeps {
  clock: Clock;
  condor: CondorConnector;
  sites: SiteConnector;
  secrets: Secrets;
  writer: ObjectWriter;
  vcs: Informer<VirtualCluster>;
  onChange: (vc: string) => void;
  /** Runs a submission only if it completes under our Lease (LeaderElector.fenced). */
  fenced: <T>(ms: number, act: () => Promise<T>) => Promise<T | undefined>;
}

export class VcController {
  readonly queue: WorkQueue;

  constructor(readonly d: VcControllerDeps) {
    this.queue = new WorkQueue(d.clock, 4, (key) => this.reconcile(key));
  }

  async reconcile(key: string): Promise<void> {
    const vc = this.d.vcs.items.get(key);
    if (!vc) return this.queue.forget(key);
    const a = vc.spec.allocations?.[0];
    if (vc.metadata.deletionTimestamp) return this.#finalize(vc, a);
    if (!vc.metadata.finalizers?.includes(VC_FINALIZER)) {
      this.d.vcs.update(
        await this.d.writer.setFinalizers(vc, [...(vc.metadata.finalizers ?? []), VC_FINALIZER]),
      );
      return this.queue.add(key);
    }
    this.queue.after(key, POLL_MS);
    if (a) await this.#keepPilots(vc, a);
    const slots = await this.d.condor
      .collector(vc.spec.pool.collectorHost)
      .pilotSlots(key, ['Name', 'State']);
    const phase = slots.length ? 'Running' : 'Provisioning';
    if (vc.status?.phase !== phase) {
      const status: VirtualClusterStatus = { ...(vc.status ?? {}), phase, workers: { idle: slots.length } };
      this.d.vcs.update(await this.d.writer.patchStatus(vc, status));
      this.d.onChange(key);
    }
  }

  async #session(vc: VirtualCluster, a: Allocation): Promise<SiteSession> {
    const key = await this.d.secrets.read(vc.metadata.namespace, a.credentials.secretName, 'ssh-privatekey');
    return this.d.sites.open(
      {
        host: a.loginHost,
        port: a.port ?? 22,
        user: a.user,
        privateKey: key ?? '',
        hostKeys: a.credentials.hostKey ? [a.credentials.hostKey] : [],
      },
      a.batchSystem,
    );
  }

  #dir(vc: VirtualCluster): string {
    return `hpc-pilots/${vc.metadata.namespace}/${vc.metadata.name}`;
  }

  #prefix(vc: VirtualCluster): string {
    return `hpc-${vc.metadata.namespace}-${vc.metadata.name}-`;
  }

  async #keepPilots(vc: VirtualCluster, a: Allocation): Promise<void> {
    const s = await this.#session(vc, a);
    const ref = vc.spec.pool.pilotTokenSecretRef;
    const token = await this.d.secrets.read(vc.metadata.namespace, ref.name, ref.key ?? 'token');
    // The token, like a pilot, must not be put back by a deposed leader after the new one's cleanup.
    if (this.queue.stopped) return;
    await this.d.fenced(SSH_WINDOW_MS, () => s.prepare(this.#dir(vc), token ?? ''));
    const mine = (await s.listJobs()).filter(
      (j) => j.name.startsWith(this.#prefix(vc)) && (j.state === 'queued' || j.state === 'running'),
    );
    const want = a.workers?.count ?? 1;
    for (let i = mine.length; i < want; i++) {
      const name = `${this.#prefix(vc)}${this.d.clock.now()}-${i}`;
      // Only under the Lease, and only while this session lives: a pilot submitted by a deposed leader or
      // by a reconcile left over from a stopped session would outlive the cleanup.
      if (this.queue.stopped) return;
      const script = `#!/bin/sh\n# pilot\nVirtualCluster = "${vc.metadata.namespace}/${vc.metadata.name}"\n`;
      await this.d.fenced(SSH_WINDOW_MS, () => s.submitPilot(this.#dir(vc), name, script));
    }
  }

  async #finalize(vc: VirtualCluster, a: Allocation | undefined): Promise<void> {
    if (!vc.metadata.finalizers?.includes(VC_FINALIZER)) return;
    if (a) {
      const s = await this.#session(vc, a);
      const mine = (await s.listJobs()).filter(
        (j) => j.name.startsWith(this.#prefix(vc)) && (j.state === 'queued' || j.state === 'running'),
      );
      if (mine.length) await s.cancel(mine.map((j) => j.id));
      await s.removeToken(this.#dir(vc));
    }
    this.d.vcs.update(
      await this.d.writer.setFinalizers(
        vc,
        (vc.metadata.finalizers ?? []).filter((f) => f !== VC_FINALIZER),
      ),
    );
    this.d.onChange(`${vc.metadata.namespace}/${vc.metadata.name}`);
  }
}
