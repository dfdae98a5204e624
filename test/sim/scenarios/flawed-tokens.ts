/**
 * Operators wrong in one way about per-pilot tokens (spec.pool.pilotTokens), each with the invariant that
 * must catch it (part of FLAWS). Each leads, mints through the TokenMinter port with the VirtualCluster's
 * signing key and stores the token where a pilot reads its own (tokens/<pilot>/token).
 */
import type { VirtualCluster } from '../../../src/crds/virtualcluster.js';
import { PILOT_TOKEN_AUTHZ } from '../../../src/crds/virtualcluster-pool.js';
import type { SiteSession } from '../../../src/sites/session.js';
import { MINUTE } from '../plan.js';
import { quiet, vc } from './plans.js';
import { scripted, type Helpers } from './scripted.js';
import type { Flaw } from './flawed.js';

const DIR = 'pilots';

/** The first VirtualCluster, a session on its site, and a way to mint and store a token for a pilot. */
async function minting(h: Helpers): Promise<{
  v: VirtualCluster;
  s: SiteSession;
  store: (pilot: string, lifetimeSeconds: number) => Promise<void>;
}> {
  await h.lead();
  const v = await h.until(async () => (await h.d.virtualClusters.list({ limit: 10 })).items[0]);
  const a = v.spec.allocations?.[0];
  const pt = v.spec.pool.pilotTokens;
  if (!a || !pt || !h.d.minter) throw new Error('no minted VirtualCluster to act on');
  const ns = v.metadata.namespace as string;
  const key = await h.d.secrets.read(ns, a.credentials.secretName, 'ssh-privatekey');
  const signingKey = await h.d.secrets.readBytes(ns, pt.signingKeySecretRef.name, 'POOL');
  const s = h.d.sites.open(
    { host: a.loginHost, port: 22, user: a.user, privateKey: key ?? '', hostKeys: [] },
    a.batchSystem,
  );
  const minter = h.d.minter;
  const store = async (pilot: string, lifetimeSeconds: number): Promise<void> => {
    const token = await minter.mint({
      signingKey: signingKey ?? Buffer.alloc(0),
      keyName: 'POOL',
      trustDomain: pt.trustDomain,
      identity: `pilot@${pt.trustDomain}`,
      authz: PILOT_TOKEN_AUTHZ,
      lifetimeSeconds,
    });
    await s.storePilotToken(DIR, pilot, token);
  };
  return { v, s, store };
}

/** What the model reads of a pilot script with a token of its own. */
function ownTokenScript(v: VirtualCluster): string {
  return [
    '#SBATCH --time=01:00:00',
    `export _CONDOR_VirtualCluster='"${v.metadata.namespace}/${v.metadata.name}"'`,
    'export _CONDOR_SEC_TOKEN_DIRECTORY="$T"',
  ].join('\n');
}

const minted = (seed: number) =>
  quiet(seed, { vcs: [vc('vc-a', { pilotTokens: { margin: '1m' } })], chaosMs: 10 * MINUTE });

export const TOKEN_FLAWS: Record<string, Flaw> = {
  "mints a pilot's token for less than the pilot's walltime": {
    invariant: 'pilot-token-valid',
    plan: minted,
    factory: scripted(async (h) => {
      const { v, s, store } = await minting(h);
      await h.d.clock.sleep(MINUTE);
      await store('p-1', 60);
      await s.submitPilot(DIR, 'p-1', ownTokenScript(v));
    }),
  },
  'stores a token for a pilot it never submits, and leaves it': {
    invariant: 'pilot-token-removed',
    plan: minted,
    factory: scripted(async (h) => {
      const { store } = await minting(h);
      await store('p-1', 3_600);
    }),
  },
  "leaves a deleted VirtualCluster's minted tokens on its site": {
    invariant: 'cleanup',
    plan: minted,
    factory: scripted(async (h) => {
      const { store } = await minting(h);
      // Written again and again (never old enough for pilot-token-removed), never removed.
      for (;;) {
        await store('p-1', 3_600).catch(() => undefined);
        await h.d.clock.sleep(MINUTE);
      }
    }),
  },
};
