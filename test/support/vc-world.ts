/**
 * A small world for driving the VirtualCluster controller in unit tests: the controller wired to in-memory
 * ports (an object store, Events, Secrets, fake sites and a fake collector, test/support's ManualClock),
 * the Secrets a tenant makes, and a `pass()` that reconciles once and returns what it asked for.
 */
import { pino } from 'pino';
import { Registry } from 'prom-client';
import ssh2 from 'ssh2';
import {
  VirtualClusterController,
  type VirtualClusterControllerDeps,
} from '../../src/controllers/virtualcluster/controller.js';
import { NO_DEMAND, type Demand } from '../../src/controllers/virtualcluster/demand.js';
import { VirtualClusterMetrics } from '../../src/controllers/virtualcluster/metrics.js';
import type { VirtualCluster } from '../../src/crds/virtualcluster.js';
import { makeIdToken } from './builders/vc-observation.js';
import { VC_CREATED } from './builders/virtualcluster.js';
import { FakeObjects, FakeRecorder, FakeSecrets } from './fake-objects.js';
import { FakeCollector, FakeSiteConnector } from './fake-site.js';
import { ManualClock } from './manual-clock.js';

const keys = ssh2.utils.generateKeyPairSync('ed25519');
/** The tenant's SSH key (a real one: the controller checks that it parses) and the site's host key. */
export const SITE_PRIVATE_KEY = keys.private;
export const SITE_HOST_KEY = keys.public.split(' ').slice(0, 2).join(' ');

export class VcWorld {
  /** A minute after the built objects' creation; moves only when a test says so. */
  readonly clock = new ManualClock(VC_CREATED + 60_000);
  readonly objects = new FakeObjects<VirtualCluster>();
  readonly recorder = new FakeRecorder();
  readonly secrets = new FakeSecrets();
  readonly sites = new FakeSiteConnector();
  readonly collector = new FakeCollector();
  readonly registry = new Registry();
  readonly log = pino({ level: 'silent' });
  demand: Demand = NO_DEMAND;
  readonly controller: VirtualClusterController;

  constructor(o: { namespace?: string; config?: VirtualClusterControllerDeps['config'] } = {}) {
    const ns = o.namespace ?? 'ns';
    this.secrets.set(ns, 'pilot-token', { token: makeIdToken() });
    this.secrets.set(ns, 'site-ssh', { 'ssh-privatekey': SITE_PRIVATE_KEY, known_hosts: SITE_HOST_KEY });
    this.controller = new VirtualClusterController({
      clock: this.clock,
      clusters: this.objects,
      demand: () => this.demand,
      writer: this.objects,
      recorder: this.recorder,
      secrets: this.secrets,
      condor: { collector: () => this.collector },
      sites: this.sites,
      metrics: new VirtualClusterMetrics(this.registry),
      config: { activePollMs: 5000, steadyPollMs: 30_000, ...o.config },
    });
  }

  /** Reconciles `key` once. */
  pass(key = 'ns/vc'): Promise<{ requeueAfterMs?: number }> {
    return this.controller.reconcile(key, { log: this.log });
  }

  /** The stored object (after the controller's writes). */
  vc(key = 'ns/vc'): VirtualCluster | undefined {
    return this.objects.get(key);
  }

  /** Replaces the spec as `kubectl apply` would (a new generation). */
  apply(change: (vc: VirtualCluster) => void, key = 'ns/vc'): void {
    const vc = this.objects.get(key);
    if (!vc) throw new Error(`${key} is gone`);
    change(vc);
    vc.metadata.generation = (vc.metadata.generation ?? 1) + 1;
    this.objects.put(vc);
  }

  /** Marks the object deleted (its finalizers hold it; the generation stays). */
  delete(key = 'ns/vc'): void {
    const vc = this.objects.get(key);
    if (!vc) throw new Error(`${key} is gone`);
    vc.metadata.deletionTimestamp = new Date(this.clock.now()).toISOString();
    this.objects.put(vc);
  }

  /** Every running pilot on every host joins the pool (idle). */
  joinRunning(): void {
    for (const h of this.sites.hosts.values())
      for (const j of h.jobs) if (j.state === 'running') this.collector.joined.add(j.name);
  }
}
