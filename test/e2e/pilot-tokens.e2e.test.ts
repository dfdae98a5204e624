/**
 * Per-pilot tokens end to end on the local stack's real SLURM site and HTCondor pool: the operator holds the
 * pool's signing key (the collector's own passwords.d/POOL, in a Secret) and mints each pilot a token with the
 * real condor_token_create, scoped to advertising and reading and valid for the pilot's walltime plus a margin.
 * The pilot waits in a partition that queues but does not start jobs (DOWN), long enough for its token to be renewed;
 * then the partition starts, the pilot joins with its renewed token and runs a step, and when it ends its token
 * is gone from the site. A copy of the token taken from the site (a leak) authenticates to the collector until
 * its expiry and not after.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jwtClaims } from '../../src/controllers/virtualcluster/credentials.js';
import type { VirtualCluster as VC } from '../../src/crds/virtualcluster.js';
import { SshTransport } from '../../src/sites/ssh.js';
import {
  createHPCJob,
  createNamespace,
  deleteNamespace,
  installCRDs,
  MINTED_TOKENS_FILE,
  waitForPhase,
} from '../support/stack/kube.js';
import { OperatorProcess } from '../support/stack/operator.js';
import { STACK, kubeConfig, loadStackEnv, siteLogin, uniqueName, waitFor } from '../support/stack/stack.js';
import {
  activePilots,
  asSiteRoot,
  createProxySecret,
  createSiteSecrets,
  deleteTestObjects,
  FAST_PILOT_ARGS,
  getVirtualCluster,
  slurmSpec,
  uidOf,
  VIRTUALCLUSTERS,
} from './helpers/site.js';

const kc = kubeConfig();
const env = loadStackEnv();
const co = kc.makeApiClient(k8s.CustomObjectsApi);
const ns = uniqueName('e2e-ptok');
const op = new OperatorProcess({ namespace: ns, operatorId: ns, extraArgs: FAST_PILOT_ARGS });
const login = siteLogin();
const ssh = new SshTransport({ ...login, hostKeys: [login.knownHosts] });
/** A SLURM partition of the site's node that queues jobs but starts none until the test sets it UP. */
const partition = uniqueName('ptok').replace(/-/g, '').slice(0, 20);
const TRUST_DOMAIN = 'hpcop.local';
const WALLTIME_S = 60;
const MARGIN_S = 60;

/** The stored token of each pilot of the VirtualCluster on the site, read over SSH as the site user. */
async function tokensOnSite(vc: VC): Promise<Map<string, { token: string; mode: string }>> {
  const dir = `~/.hpcop/${uidOf(vc).slice(0, 8)}-site1/tokens`;
  const r = await ssh.exec([
    'sh',
    '-c',
    `cd ${dir} 2>/dev/null || exit 0; for f in */token; do [ -f "$f" ] && printf '%s %s %s\\n' "\${f%/token}" "$(stat -c %a "$f")" "$(cat "$f")"; done; true`,
  ]);
  const out = new Map<string, { token: string; mode: string }>();
  for (const line of r.stdout.split('\n')) {
    const [pilot, mode, token] = line.trim().split(' ');
    if (pilot && mode && token) out.set(pilot, { token, mode });
  }
  return out;
}

/**
 * Whether `token` alone authenticates to the collector as the pilot identity, for advertising a startd: a
 * fresh condor_ping with only that token in its token directory.
 */
function authenticatesAsPilot(token: string): { ok: boolean; said: string } {
  const dir = mkdtempSync(join(tmpdir(), 'hpcop-leak-'));
  writeFileSync(join(dir, 'leaked'), token, { mode: 0o600 });
  const r = spawnSync(
    join(STACK, 'bin', 'condor_ping'),
    ['-pool', env.HPC_COLLECTOR as string, '-type', 'collector', '-table', 'ADVERTISE_STARTD'],
    {
      encoding: 'utf8',
      env: {
        ...process.env,
        _CONDOR_SEC_TOKEN_DIRECTORY: dir,
        _CONDOR_SEC_CLIENT_AUTHENTICATION_METHODS: 'IDTOKENS',
      },
    },
  );
  const said = `${r.stdout}${r.stderr}`;
  return { ok: r.status === 0 && /ALLOW/.test(said) && said.includes(`pilot@${TRUST_DOMAIN}`), said };
}

function spec() {
  const s = slurmSpec(0, { workers: { autoscale: 'QueuedJobs', min: 0, max: 1, idleShutdown: '15s' } });
  Object.assign(s.allocations[0] as Record<string, unknown>, {
    walltime: `${WALLTIME_S}s`,
    queue: partition,
  });
  return {
    ...s,
    pool: {
      collectorHost: env.HPC_COLLECTOR,
      scheddName: env.HPC_SCHEDD_NAME,
      pilotTokens: {
        signingKeySecretRef: { name: 'pool-key' },
        trustDomain: TRUST_DOMAIN,
        margin: `${MARGIN_S}s`,
      },
    },
  };
}

beforeAll(async () => {
  await installCRDs(kc);
  await createNamespace(kc, ns);
  await createSiteSecrets(kc, ns);
  // The pool's signing key as the collector made it, bytes as they are.
  const key = readFileSync(join(STACK, 'pool/upper/etc/condor/passwords.d/POOL'));
  await kc.makeApiClient(k8s.CoreV1Api).createNamespacedSecret({
    namespace: ns,
    body: { metadata: { name: 'pool-key' }, data: { POOL: key.toString('base64') } },
  });
  asSiteRoot(`scontrol create partitionname=${partition} nodes=ALL state=down maxtime=infinite`);
  await op.start();
});

afterAll(async () => {
  await deleteTestObjects(co, ns).catch(() => undefined);
  await op.stop();
  ssh.close();
  asSiteRoot(`scontrol delete partitionname=${partition}`);
  await deleteNamespace(kc, ns);
});

describe('per-pilot tokens on the SLURM site', () => {
  it('mints, renews while queued, joins with the token, removes it with the pilot; a leaked copy dies at expiry', async () => {
    const created = (await co.createNamespacedCustomObject({
      ...VIRTUALCLUSTERS,
      namespace: ns,
      body: {
        apiVersion: 'hpc.scailfin.io/v1alpha1',
        kind: 'VirtualCluster',
        metadata: { name: 'ptok' },
        spec: spec(),
      },
    })) as VC;
    expect(created.spec.pool.pilotTokens?.identity).toBe('pilot');
    await createHPCJob(kc, ns, 'step', {
      virtualClusterRef: { name: 'ptok' },
      command: ['/bin/sh', '-c', 'echo ran'],
      resources: { memory: '128Mi' },
    });

    // The pilot is queued (its partition does not start jobs) with its own token, private on the site.
    const [pilot] = await waitFor('a queued pilot', async () => {
      const p = await activePilots(created, ssh);
      return p.length > 0 ? p : undefined;
    });
    const first = await waitFor('the pilot’s token on the site', async () =>
      (await tokensOnSite(created)).get(pilot as string),
    );
    expect(first.mode).toBe('600');
    const claims = jwtClaims(first.token) ?? {};
    expect([claims.iss, claims.sub, claims.scope]).toEqual([
      TRUST_DOMAIN,
      `pilot@${TRUST_DOMAIN}`,
      'condor:/ADVERTISE_STARTD condor:/ADVERTISE_MASTER condor:/READ',
    ]);
    expect(Number(claims.exp) - Number(claims.iat)).toBe(WALLTIME_S + MARGIN_S);
    // No shared pool token was put there.
    const listing = await ssh.exec(['sh', '-c', `ls ~/.hpcop/${uidOf(created).slice(0, 8)}-site1/`]);
    expect(listing.stdout.split('\n')).not.toContain('pilot.token');
    // A copy taken now works: it is a real token of the pool.
    expect(authenticatesAsPilot(first.token)).toMatchObject({ ok: true });

    // Half a margin before it could not cover a whole walltime any more, the queued pilot gets a fresh one.
    const renewed = await waitFor(
      'the queued pilot’s token renewed',
      async () => {
        const t = (await tokensOnSite(created)).get(pilot as string);
        return t && t.token !== first.token ? t : undefined;
      },
      90_000,
    );
    const renewedExp = Number(jwtClaims(renewed.token)?.exp);
    // The secrets audit (run last) looks for them in every log, Event and status.
    appendFileSync(MINTED_TOKENS_FILE, `${first.token.split('.')[2]}\n${renewed.token.split('.')[2]}\n`);
    expect(renewedExp).toBeGreaterThan(Number(claims.exp));
    const status = await getVirtualCluster(co, ns, 'ptok');
    expect(status?.status?.pilotTokens).toMatchObject({ identity: `pilot@${TRUST_DOMAIN}`, onSites: 1 });

    // The partition starts: the pilot joins with the renewed token and runs the step.
    asSiteRoot(`scontrol update partitionname=${partition} state=up`);
    const done = await waitForPhase(kc, ns, 'step', ['Succeeded', 'Failed'], 240_000);
    expect(done.status?.phase).toBe('Succeeded');

    // Idle, the pilot ends; its token goes with it, and status says until when any copy works.
    await waitFor(
      'the pilot gone from the batch system',
      async () => ((await activePilots(created, ssh)).length === 0 ? true : undefined),
      120_000,
    );
    await waitFor(
      'no token left on the site',
      async () => ((await tokensOnSite(created)).size === 0 ? true : undefined),
      60_000,
    );
    const after = await waitFor('status.pilotTokens with no token on the site', async () => {
      const vc = await getVirtualCluster(co, ns, 'ptok');
      return vc?.status?.pilotTokens?.onSites === 0 ? vc.status.pilotTokens : undefined;
    });
    expect(Date.parse(after.latestExpiry ?? '')).toBe(renewedExp * 1000);
    // For the docs: what a pilot's token says (claims only) and what the status shows.
    console.log(JSON.stringify({ claims, status: after }, null, 2));

    // The first token, copied from the site before it was renewed (it worked then, above), no longer does once
    // it has expired: a leaked pilot token is worthless at most a margin after its pilot.
    const firstExp = Number(claims.exp) * 1000;
    await new Promise((r) => setTimeout(r, Math.max(0, firstExp + 2_000 - Date.now())));
    expect(authenticatesAsPilot(first.token)).toMatchObject({ ok: false });
  }, 600_000);

  it('lists the expiry of each credential it cannot renew in status, and CredentialExpiring names the first', async () => {
    // A long-lived pool token with an expiry (minted here as an admin would, with the pool's key) and a GSI
    // proxy in the allocation's Secret that ends within the three days CredentialExpiring looks ahead.
    const keyDir = mkdtempSync(join(tmpdir(), 'hpcop-admin-key-'));
    writeFileSync(join(keyDir, 'POOL'), readFileSync(join(STACK, 'pool/upper/etc/condor/passwords.d/POOL')), {
      mode: 0o600,
    });
    const token = execFileSync(
      join(STACK, 'bin', 'condor_token_create'),
      [
        '-identity',
        `pilot@${TRUST_DOMAIN}`,
        '-key',
        'POOL',
        '-authz',
        'ADVERTISE_STARTD',
        '-lifetime',
        '2592000',
      ],
      {
        encoding: 'utf8',
        env: { ...process.env, _CONDOR_SEC_PASSWORD_DIRECTORY: keyDir, _CONDOR_TRUST_DOMAIN: TRUST_DOMAIN },
      },
    ).trim();
    appendFileSync(MINTED_TOKENS_FILE, `${token.split('.')[2]}\n`);
    // Whole seconds: the status says when to the second.
    const proxyEnd = Math.floor(Date.now() / 1000) * 1000 + 86_400_000;
    await createProxySecret(kc, ns, 'site-ssh-proxy', proxyEnd);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    await core.createNamespacedSecret({
      namespace: ns,
      body: { metadata: { name: 'pool-token-30d' }, stringData: { token } },
    });
    const s = slurmSpec(0, { secretName: 'site-ssh-proxy' });
    await co.createNamespacedCustomObject({
      ...VIRTUALCLUSTERS,
      namespace: ns,
      body: {
        apiVersion: 'hpc.scailfin.io/v1alpha1',
        kind: 'VirtualCluster',
        metadata: { name: 'expiring' },
        spec: { ...s, pool: { ...s.pool, pilotTokenSecretRef: { name: 'pool-token-30d' } } },
      },
    });
    const vc = await waitFor('status.credentials', async () => {
      const got = await getVirtualCluster(co, ns, 'expiring');
      return (got?.status?.credentials?.length ?? 0) === 2 ? got : undefined;
    });
    const at = (ms: number) => new Date(ms).toISOString().replace('.000', '');
    expect(vc.status?.credentials).toEqual([
      {
        secretName: 'site-ssh-proxy',
        key: 'x509-proxy',
        allocation: 'site1',
        expiresAt: at(proxyEnd),
      },
      { secretName: 'pool-token-30d', key: 'token', expiresAt: at(Number(jwtClaims(token)?.exp) * 1000) },
    ]);
    expect(vc.status?.credentialExpiresAt).toBe(at(proxyEnd));
    const expiring = vc.status?.conditions?.find((c) => c.type === 'CredentialExpiring');
    expect([expiring?.status, expiring?.message]).toEqual([
      'True',
      `Secret site-ssh-proxy key x509-proxy (allocation site1) expires at ${at(proxyEnd)}`,
    ]);
    console.log(JSON.stringify({ credentials: vc.status?.credentials, condition: expiring }, null, 2));
  });
});
