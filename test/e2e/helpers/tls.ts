/** What a TLS client sees of a served certificate (the webhook e2e test's view of the API server's call). */
import { X509Certificate } from 'node:crypto';
import { connect as tlsConnect } from 'node:tls';

/** The certificate served on 127.0.0.1:port, verified against `ca` (as the API server verifies it). */
export function served(port: number, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, ca }, () => {
      resolve(socket.getPeerX509Certificate()?.fingerprint256 ?? '');
      socket.end();
    });
    socket.on('error', reject);
  });
}

export const fingerprint = (pem: string | undefined) => new X509Certificate(pem ?? '').fingerprint256;
