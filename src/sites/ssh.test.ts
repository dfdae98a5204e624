import { describe, expect, it } from '@jest/globals';
import { checkPrivateKey, pinnedKeyBlobs } from './ssh.js';

describe('pinnedKeyBlobs', () => {
  it('reads known_hosts lines with and without host names', () => {
    const blobs = pinnedKeyBlobs([
      '10.0.0.2 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA comment',
      '# a comment\n[login.example.org]:2222 ecdsa-sha2-nistp256 AAAAE2Vj',
      'ssh-rsa AAAAB3NzaC1yc2E',
      '',
    ]);
    expect([...blobs].sort()).toEqual(['AAAAB3NzaC1yc2E', 'AAAAC3NzaC1lZDI1NTE5AAAAIA', 'AAAAE2Vj']);
  });

  it('finds nothing in lines without a key', () => {
    expect(pinnedKeyBlobs(['10.0.0.2', 'garbage']).size).toBe(0);
  });
});

describe('checkPrivateKey', () => {
  it('reports a key that does not parse without echoing it', () => {
    const msg = checkPrivateKey(
      '-----BEGIN OPENSSH PRIVATE KEY-----\nsecretstuff\n-----END OPENSSH PRIVATE KEY-----\n',
    );
    expect(msg).toMatch(/does not parse/);
    expect(msg).not.toContain('secretstuff');
  });
});
