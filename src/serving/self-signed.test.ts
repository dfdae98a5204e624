import { describe, expect, it } from '@jest/globals';
import { X509Certificate } from 'node:crypto';
import { request } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { pino } from 'pino';
import type { Clock } from '../runtime/clock.js';
import { ApiError, type OwnSecret, type WebhookConfigurations } from '../runtime/kube-api.js';
import { SecretKeys } from './cert-plan.js';
import { MemoryOwnSecrets, SelfSignedCertSource, managedCertOptions } from './self-signed.js';
import { ServingServer } from './server.js';
import { splitPem } from './x509.js';

const DAY = 86_400_000;
const log = pino({ level: 'silent' });

/** A clock the test sets; its timers never fire (the test calls check() itself). */
class SetClock implements Clock {
  constructor(public t: number) {}
  now = () => this.t;
  after = () => ({ cancel: () => undefined });
  sleep = () => Promise.resolve();
}

class FakeWebhooks implements WebhookConfigurations {
  patches = 0;
  constructor(public bundles: Record<string, string[]>) {}
  caBundles(name: string): Promise<string[] | undefined> {
    return Promise.resolve(this.bundles[name]?.slice());
  }
  setCaBundle(name: string, pem: string): Promise<void> {
    const b = this.bundles[name];
    if (!b) return Promise.reject(new ApiError(404, 'not found'));
    this.bundles[name] = b.map(() => pem);
    this.patches++;
    return Promise.resolve();
  }
}

/** Counts writes, so that a test can say who wrote. */
class CountingSecrets extends MemoryOwnSecrets {
  writes = 0;
  override create(s: OwnSecret): Promise<OwnSecret> {
    this.writes++;
    return super.create(s);
  }
  override update(s: OwnSecret): Promise<OwnSecret> {
    this.writes++;
    return super.update(s);
  }
}

// Three days of lifetime, starting 2.5 days ago: the clock moves up to now, never past it, so that every
// certificate is valid for the real TLS client too.
const options = {
  ...managedCertOptions({
    webhookServiceName: 'hpc-operator-webhook',
    leaderElectionNamespace: 'hpc-operator-system',
    servingCertSecret: 'hpc-operator-serving-cert',
    servingCertLifetimeSeconds: 3 * 86_400,
    webhookConfigName: 'hpc-operator-validating-webhook',
  }),
};
const START = Date.now() - 2.5 * DAY;

function replica(secrets: MemoryOwnSecrets, webhooks: FakeWebhooks, clock: Clock, leading: boolean) {
  return new SelfSignedCertSource({ secrets, webhooks, clock, log, leading: () => leading }, options);
}

/** GET over TLS that trusts only `caBundle` and checks the name 127.0.0.1: the API server's view. */
function getTrusting(port: number, caBundle: string): Promise<{ status: number; fingerprint: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/healthz', ca: caBundle, agent: false }, (res) => {
      const fingerprint = (res.socket as TLSSocket).getPeerX509Certificate()?.fingerprint256 ?? '';
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, fingerprint }));
    });
    req.on('error', reject);
    req.end();
  });
}

const fp = (pem: string | undefined) => new X509Certificate(pem ?? '').fingerprint256;

describe('SelfSignedCertSource', () => {
  it('the leader issues, stores and publishes the CA; the API server (a client trusting the caBundle) connects', async () => {
    const secrets = new CountingSecrets();
    const webhooks = new FakeWebhooks({ 'hpc-operator-validating-webhook': ['', ''] });
    const leader = replica(secrets, webhooks, new SetClock(START), true);
    await leader.start();
    const stored = (await secrets.get())?.data ?? {};
    expect(Object.keys(stored).sort()).toEqual([SecretKeys.caBundle, SecretKeys.cert, SecretKeys.key].sort());
    expect(leader.current()?.cert).toBe(stored[SecretKeys.cert]);
    // Every webhook of the configuration gets the bundle.
    expect(webhooks.bundles['hpc-operator-validating-webhook']).toEqual([
      stored[SecretKeys.caBundle],
      stored[SecretKeys.caBundle],
    ]);
    expect(new X509Certificate(stored[SecretKeys.cert] ?? '').subjectAltName).toBe(
      'DNS:hpc-operator-webhook.hpc-operator-system.svc, DNS:hpc-operator-webhook.hpc-operator-system.svc.cluster.local, DNS:hpc-operator-webhook.hpc-operator-system, DNS:hpc-operator-webhook, DNS:localhost, IP Address:127.0.0.1',
    );
    const server = new ServingServer({ bindAddress: '127.0.0.1:0', certs: leader, log });
    server.route('/healthz', (_q, res) => void res.end('ok'));
    await server.start();
    try {
      expect((await getTrusting(server.port, stored[SecretKeys.caBundle] ?? '')).status).toBe(200);
    } finally {
      await server.stop();
    }
  });

  it('a standby serves what the leader stored and never writes; before anything is stored, a certificate of its own', async () => {
    const secrets = new CountingSecrets();
    const webhooks = new FakeWebhooks({ 'hpc-operator-validating-webhook': [''] });
    const clock = new SetClock(START);
    const standby = replica(secrets, webhooks, clock, false);
    await standby.start();
    const own = standby.current()?.cert;
    expect(own).toBeDefined();
    await standby.check();
    expect(secrets.writes).toBe(0);
    expect(webhooks.patches).toBe(0);
    const rotated: string[] = [];
    standby.onRotate(() => rotated.push(standby.current()?.cert ?? ''));
    await replica(secrets, webhooks, clock, true).check();
    await standby.check();
    const stored = (await secrets.get())?.data[SecretKeys.cert];
    expect(standby.current()?.cert).toBe(stored);
    expect(stored).not.toBe(own);
    expect(rotated).toEqual([stored]);
    expect(secrets.writes).toBe(1);
  });

  it('renews in two steps (stage, then promote once the bundle is out), and the client trusting the caBundle never fails', async () => {
    const secrets = new MemoryOwnSecrets();
    const webhooks = new FakeWebhooks({ 'hpc-operator-validating-webhook': [''] });
    const clock = new SetClock(START);
    const leader = replica(secrets, webhooks, clock, true);
    await leader.start();
    const standby = replica(secrets, webhooks, clock, false);
    await standby.start();
    const server = new ServingServer({ bindAddress: '127.0.0.1:0', certs: leader, log });
    server.route('/healthz', (_q, res) => void res.end('ok'));
    await server.start();
    const bundle = () => webhooks.bundles['hpc-operator-validating-webhook']?.[0] ?? '';
    try {
      const first = leader.current()?.cert;
      const before = await getTrusting(server.port, bundle());
      expect(before).toEqual({ status: 200, fingerprint: fp(first) });

      // Two of the three days gone: a third is left, so a renewal is staged. Still serving the first.
      clock.t = START + 2.01 * DAY;
      await leader.check();
      const staged = (await secrets.get())?.data ?? {};
      expect(staged[SecretKeys.nextCert]).toBeDefined();
      expect(splitPem(bundle())).toHaveLength(2);
      expect(bundle()).toBe(staged[SecretKeys.caBundle]);
      expect(leader.current()?.cert).toBe(first);
      expect(await getTrusting(server.port, bundle())).toEqual({ status: 200, fingerprint: fp(first) });

      // The next check: the bundle is out, the new pair goes live for every replica.
      await leader.check();
      await standby.check();
      const promoted = (await secrets.get())?.data ?? {};
      expect(promoted[SecretKeys.nextCert]).toBeUndefined();
      expect(promoted[SecretKeys.cert]).toBe(staged[SecretKeys.nextCert]);
      expect(leader.current()?.cert).toBe(promoted[SecretKeys.cert]);
      expect(standby.current()?.cert).toBe(promoted[SecretKeys.cert]);
      expect(await getTrusting(server.port, bundle())).toEqual({
        status: 200,
        fingerprint: fp(promoted[SecretKeys.cert]),
      });
      // A client that still has only the first CA cannot verify the new certificate: the bundle had to go first.
      await expect(getTrusting(server.port, splitPem(bundle())[1] ?? '')).rejects.toThrow(/certificate/);
    } finally {
      await server.stop();
    }
  });

  it('puts the bundle back when the ValidatingWebhookConfiguration lost it (a helm upgrade re-applied it)', async () => {
    const secrets = new MemoryOwnSecrets();
    const webhooks = new FakeWebhooks({ 'hpc-operator-validating-webhook': [''] });
    const leader = replica(secrets, webhooks, new SetClock(START), true);
    await leader.start();
    webhooks.bundles['hpc-operator-validating-webhook'] = [''];
    await leader.check();
    expect(webhooks.bundles['hpc-operator-validating-webhook']).toEqual([
      (await secrets.get())?.data[SecretKeys.caBundle],
    ]);
  });

  it('leaves the Secret to a write that came first, and goes on serving', async () => {
    const secrets = new MemoryOwnSecrets();
    const webhooks = new FakeWebhooks({});
    const clock = new SetClock(START);
    const a = replica(secrets, webhooks, clock, true);
    await a.start();
    // b read the Secret, then a renewed it before b's write: b's write is refused, b serves a's.
    const b = replica(secrets, webhooks, clock, true);
    const original = secrets.get.bind(secrets);
    let raced = false;
    secrets.get = async () => {
      const seen = await original();
      if (!raced && seen) {
        raced = true;
        const { resourceVersion, ...rest } = seen;
        await secrets.update({ ...rest, resourceVersion, data: { ...seen.data } });
      }
      return seen;
    };
    clock.t = START + 2.9 * DAY;
    await b.check();
    secrets.get = original;
    await b.check();
    expect(b.current()?.cert).toBe((await secrets.get())?.data[SecretKeys.cert]);
  });

  it('logs a failed check and goes on serving what it has (the periodic check must never throw)', async () => {
    const secrets = new MemoryOwnSecrets();
    const leader = replica(secrets, new FakeWebhooks({}), new SetClock(START), true);
    await leader.start();
    const serving = leader.current()?.cert;
    secrets.update = () => Promise.reject(new ApiError(422, 'type: field is immutable'));
    secrets.get = () => Promise.reject(new ApiError(500, 'API server away'));
    await expect(leader.check()).resolves.toBeUndefined();
    expect(leader.current()?.cert).toBe(serving);
  });
});
