/**
 * condor_token_create's arguments and the checks before it runs. Minting itself needs HTCondor's tool and a
 * pool signing key: test/e2e/pilot-tokens.e2e.test.ts mints with the real one and the collector accepts it.
 */
import { describe, expect, it } from '@jest/globals';
import { CondorCli } from './cli.js';
import { CondorTokenMinter, mintArgs, type TokenRequest } from './token-create.js';

const request: TokenRequest = {
  signingKey: Buffer.from([0x9a, 0x0f, 0x20]),
  keyName: 'POOL',
  trustDomain: 'pool.example',
  identity: 'pilot@pool.example',
  authz: ['ADVERTISE_STARTD', 'READ'],
  lifetimeSeconds: 4200,
};

describe('mintArgs', () => {
  it('names the identity, the key, each authorization and the lifetime, one word each', () => {
    expect(mintArgs(request)).toEqual([
      '-identity',
      'pilot@pool.example',
      '-key',
      'POOL',
      '-authz',
      'ADVERTISE_STARTD',
      '-authz',
      'READ',
      '-lifetime',
      '4200',
    ]);
  });
});

describe('CondorTokenMinter', () => {
  const minter = new CondorTokenMinter(new CondorCli({ binDir: '/nonexistent' }));

  it('refuses a key name that is a path, before running anything', async () => {
    await expect(minter.mint({ ...request, keyName: '../POOL' })).rejects.toThrow('is not a file name');
  });

  it('refuses a lifetime that is not a whole number of seconds', async () => {
    await expect(minter.mint({ ...request, lifetimeSeconds: 0.5 })).rejects.toThrow('whole number');
  });
});
