/**
 * The operator-managed serving certificate (no --serving-cert-dir): a CA and a serving certificate made
 * in-process (x509.ts), kept in a Secret in the operator's namespace so that every replica serves the same
 * one, renewed before it expires (cert-plan.ts decides), and the CA bundle patched into the
 * ValidatingWebhookConfiguration so that the API server trusts it.
 *
 * Only the leader writes (the Secret and the caBundle); every replica reads the Secret on each check and
 * serves what it holds. Until a Secret exists (the very first start) a replica serves a certificate of its
 * own that nobody trusts yet: the webhook's failurePolicy lets requests through meanwhile.
 */
import type { Logger } from 'pino';
import type { Clock, Timer } from '../runtime/clock.js';
import { every } from '../runtime/clock.js';
import {
  ApiError,
  errorMessage,
  isConflict,
  type OwnSecret,
  type OwnSecrets,
  type WebhookConfigurations,
} from '../runtime/kube-api.js';
import type { CertSource, ServingCert } from './certs.js';
import {
  checkEveryMs,
  fromSecretData,
  issuePair,
  mergeBundle,
  planCerts,
  toSecretData,
  unusable,
  type CertPair,
  type ManagedCertOptions,
  type StoredCerts,
} from './cert-plan.js';

export interface SelfSignedOptions extends ManagedCertOptions {
  /** Where the Secret lives (the operator's namespace) and its name. */
  namespace: string;
  secretName: string;
  /** The ValidatingWebhookConfiguration to patch the CA bundle into; empty: none. */
  webhookConfigName: string;
}

export interface SelfSignedDeps {
  secrets: OwnSecrets;
  webhooks: WebhookConfigurations;
  clock: Clock;
  log: Logger;
  /** True while this replica leads (writes are the leader's alone). */
  leading: () => boolean;
}

const object = 'serving-cert';

export class SelfSignedCertSource implements CertSource {
  #serving: CertPair | undefined;
  readonly #listeners: (() => void)[] = [];
  #timer: Timer | undefined;
  #busy = false;
  /** A missing ValidatingWebhookConfiguration is reported once, then at debug level. */
  #missingReported = false;

  constructor(
    private readonly deps: SelfSignedDeps,
    private readonly o: SelfSignedOptions,
  ) {}

  current(): ServingCert | undefined {
    return this.#serving;
  }

  onRotate(listener: () => void): void {
    this.#listeners.push(listener);
  }

  /** Serves what the Secret holds, or a certificate of its own until there is one; then checks periodically. */
  async start(): Promise<void> {
    await this.check();
    if (!this.#serving) {
      const now = this.deps.clock.now();
      this.#adopt(issuePair(now, this.o).pair, 'nothing stored yet: serving an untrusted certificate');
    }
    this.#timer = every(this.deps.clock, checkEveryMs(this.o.lifetimeMs), () => void this.check());
  }

  stop(): void {
    this.#timer?.cancel();
  }

  /**
   * One check: the leader renews, promotes and patches as planned; every replica serves what is stored. A
   * failure is logged and left to the next check.
   */
  async check(): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    try {
      const secret = await this.deps.secrets.get(this.o.namespace, this.o.secretName);
      const stored = this.deps.leading() ? await this.#lead(secret) : fromSecretData(secret?.data);
      this.#serveStored(stored);
    } catch (e) {
      // Logged, never thrown: the periodic check runs unattended, and the next one tries again.
      this.deps.log.warn({ object, err: errorMessage(e) }, 'serving certificate check failed');
    } finally {
      this.#busy = false;
    }
  }

  /** The leader's step: what the Secret holds once the plan is carried out. */
  async #lead(secret: OwnSecret | undefined): Promise<StoredCerts | undefined> {
    const now = this.deps.clock.now();
    let stored = fromSecretData(secret?.data);
    const live = await this.#liveBundles();
    const plan = planCerts(stored, now, this.o, (b) => live === undefined || live.every((l) => l === b));
    if (plan.action === 'keep') {
      if (stored && live?.some((l) => l !== stored?.caBundle)) await this.#patchBundle(stored.caBundle);
      return stored;
    }
    if (plan.action === 'promote') {
      stored = { current: stored?.next, caBundle: stored?.caBundle ?? '' };
    } else {
      const { pair, ca } = issuePair(now, this.o);
      const caBundle = mergeBundle(ca, stored?.caBundle ?? '', now);
      stored =
        plan.action === 'issue'
          ? { current: pair, caBundle }
          : { current: stored?.current, caBundle, next: pair };
      // The bundle first: the API server must trust the new CA before anyone serves its certificate.
      await this.#patchBundle(caBundle);
    }
    this.deps.log.info(
      { object, action: plan.action, ...('reason' in plan ? { reason: plan.reason } : {}) },
      'serving certificate: writing the Secret',
    );
    const written = await this.#write(secret, stored);
    return written ? stored : fromSecretData(secret?.data);
  }

  /** Creates or replaces the Secret; false when another write came first (the next check sees it). */
  async #write(secret: OwnSecret | undefined, stored: StoredCerts): Promise<boolean> {
    const next: OwnSecret = {
      namespace: this.o.namespace,
      name: this.o.secretName,
      resourceVersion: secret?.resourceVersion,
      data: toSecretData(stored),
    };
    try {
      await (secret ? this.deps.secrets.update(next) : this.deps.secrets.create(next));
      return true;
    } catch (e) {
      if (!isConflict(e)) throw e;
      this.deps.log.info({ object }, 'serving certificate Secret changed meanwhile: checking again later');
      return false;
    }
  }

  async #liveBundles(): Promise<string[] | undefined> {
    if (!this.o.webhookConfigName) return undefined;
    const bundles = await this.deps.webhooks.caBundles(this.o.webhookConfigName);
    if (!bundles) {
      const level = this.#missingReported ? 'debug' : 'warn';
      this.#missingReported = true;
      this.deps.log[level](
        { object, webhookConfiguration: this.o.webhookConfigName },
        'ValidatingWebhookConfiguration not found: its caBundle cannot be set',
      );
    }
    return bundles;
  }

  async #patchBundle(caBundle: string): Promise<void> {
    if (!this.o.webhookConfigName) return;
    if ((await this.deps.webhooks.caBundles(this.o.webhookConfigName)) === undefined) return;
    await this.deps.webhooks.setCaBundle(this.o.webhookConfigName, caBundle);
    this.deps.log.info(
      { object, webhookConfiguration: this.o.webhookConfigName },
      'caBundle set in the ValidatingWebhookConfiguration',
    );
  }

  /** Serves the stored current pair when it is usable and not what is served already. */
  #serveStored(stored: StoredCerts | undefined): void {
    const pair = stored?.current;
    if (!pair || pair.cert === this.#serving?.cert) return;
    const problem = unusable(pair, stored.caBundle, this.deps.clock.now());
    if (problem) {
      this.deps.log.warn({ object, problem }, 'the stored serving certificate cannot be served');
      return;
    }
    this.#adopt(pair, 'serving the certificate of the Secret');
  }

  #adopt(pair: CertPair, why: string): void {
    const first = !this.#serving;
    this.#serving = pair;
    this.deps.log.info({ object, secret: `${this.o.namespace}/${this.o.secretName}` }, why);
    if (!first) for (const l of this.#listeners) l();
  }
}

/** The names the managed certificate is for: the webhook Service's DNS names, and the local host. */
export function managedCertOptions(config: {
  webhookServiceName: string;
  leaderElectionNamespace: string;
  servingCertSecret: string;
  servingCertLifetimeSeconds: number;
  webhookConfigName: string;
}): SelfSignedOptions {
  const svc = config.webhookServiceName;
  const ns = config.leaderElectionNamespace;
  return {
    dnsNames: [`${svc}.${ns}.svc`, `${svc}.${ns}.svc.cluster.local`, `${svc}.${ns}`, svc, 'localhost'],
    ipAddresses: ['127.0.0.1'],
    lifetimeMs: config.servingCertLifetimeSeconds * 1000,
    namespace: ns,
    secretName: config.servingCertSecret,
    webhookConfigName: config.webhookConfigName,
  };
}

/** OwnSecrets in this process's memory: --serving-cert-secret="" (one replica, tests). */
export class MemoryOwnSecrets implements OwnSecrets {
  #secret: OwnSecret | undefined;
  #version = 0;

  get(): Promise<OwnSecret | undefined> {
    return Promise.resolve(this.#secret && structuredClone(this.#secret));
  }

  create(secret: OwnSecret): Promise<OwnSecret> {
    if (this.#secret) return Promise.reject(new ApiError(409, 'the Secret exists'));
    return this.#put(secret);
  }

  update(secret: OwnSecret): Promise<OwnSecret> {
    if (!this.#secret || secret.resourceVersion !== this.#secret.resourceVersion)
      return Promise.reject(new ApiError(409, 'the Secret changed'));
    return this.#put(secret);
  }

  #put(secret: OwnSecret): Promise<OwnSecret> {
    this.#secret = { ...structuredClone(secret), resourceVersion: String(++this.#version) };
    return this.get() as Promise<OwnSecret>;
  }
}
