/**
 * Who is asking (pure): a bearer token (reviewed by the API server, access.ts) or a client certificate,
 * checked here the way the API server's x509 authenticator does: signed by the cluster's client CA
 * (kube-system/extension-apiserver-authentication, key client-ca-file), directly or through intermediates
 * the client sent, valid now, usable for client authentication; the user is its CN and the groups its O.
 */
import { X509Certificate } from 'node:crypto';

export interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

/** What the TLS layer gives of a client certificate (tls.DetailedPeerCertificate, or {} for none). */
export interface PeerCert {
  raw?: Buffer;
  subject?: Record<string, string | string[] | undefined>;
  issuerCertificate?: PeerCert;
}

const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const MAX_DEPTH = 5;

/** The token of an `Authorization: Bearer <token>` header; undefined without one. */
export function bearerToken(header: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return m ? m[1] : undefined;
}

/** The certificates of a PEM bundle (a CA file may hold several). */
export function certificatesOf(pem: string): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((b) => new X509Certificate(b));
}

/** The leaf and the intermediates the client sent, leaf first (the TLS layer loops at a self-signed one). */
function chainOf(peer: PeerCert): X509Certificate[] {
  const out: X509Certificate[] = [];
  const seen = new Set<string>();
  for (let c: PeerCert | undefined = peer; c?.raw && out.length <= MAX_DEPTH; c = c.issuerCertificate) {
    const x = new X509Certificate(c.raw);
    if (seen.has(x.fingerprint256)) break;
    seen.add(x.fingerprint256);
    out.push(x);
  }
  return out;
}

function current(c: X509Certificate, now: Date): boolean {
  return c.validFromDate <= now && now <= c.validToDate;
}

const signs = (issuer: X509Certificate, c: X509Certificate): boolean =>
  c.checkIssued(issuer) && c.verify(issuer.publicKey);

/** Whether `leaf` leads to one of `roots` through `intermediates`, every link valid now. */
function chainsTo(
  leaf: X509Certificate,
  intermediates: X509Certificate[],
  roots: X509Certificate[],
  now: Date,
): boolean {
  let cur = leaf;
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    if (roots.some((r) => current(r, now) && signs(r, cur))) return true;
    const next = intermediates.find((i) => i.ca && current(i, now) && signs(i, cur));
    if (!next) return false;
    cur = next;
  }
  return false;
}

const values = (v: string | string[] | undefined): string[] =>
  v === undefined ? [] : Array.isArray(v) ? v : [v];

/** The user a client certificate names, or why it is not accepted. */
export function userFromCertificate(
  peer: PeerCert,
  clientCA: string,
  now: Date,
): { user: UserInfo } | { error: string } {
  const chain = chainOf(peer);
  const leaf = chain[0];
  if (!leaf) return { error: 'no client certificate' };
  const roots = certificatesOf(clientCA);
  if (roots.length === 0) return { error: 'the cluster has no client CA to check certificates against' };
  if (!current(leaf, now)) return { error: 'the client certificate has expired or is not valid yet' };
  if (leaf.keyUsage !== undefined && !leaf.keyUsage.includes(CLIENT_AUTH))
    return { error: 'the client certificate is not for client authentication' };
  if (!chainsTo(leaf, chain.slice(1), roots, now))
    return { error: "the client certificate is not signed by the cluster's client CA" };
  const username = values(peer.subject?.CN)[0] ?? '';
  if (!username) return { error: 'the client certificate has no common name' };
  return { user: { username, groups: values(peer.subject?.O) } };
}
