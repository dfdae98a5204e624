/**
 * X.509 v3 certificates (RFC 5280) built in-process: ECDSA P-256 keys from Node's crypto, the certificate's
 * DER from asn1.ts, signed with crypto.sign (ecdsa-with-SHA256). Enough for the operator's own CA and the
 * serving certificate the API server verifies (Go's crypto/x509: subjectAltName for the host, a CA with
 * basicConstraints and keyCertSign), without an openssl binary in the image.
 */
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { isIPv4 } from 'node:net';
import {
  bitString,
  boolean,
  explicit,
  implicitPrimitive,
  namedBits,
  octetString,
  oid,
  sequence,
  set,
  smallInteger,
  time,
  unsignedInteger,
  utf8String,
} from './asn1.js';

const OID = {
  ecdsaWithSHA256: '1.2.840.10045.4.3.2',
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
} as const;

/** KeyUsage bits (RFC 5280 4.2.1.3). */
const DIGITAL_SIGNATURE = 0;
const KEY_CERT_SIGN = 5;
const CRL_SIGN = 6;

export interface KeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export function newKeyPair(): KeyPair {
  return generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
}

export interface Issuer {
  /** The issuer's common name (its subject). */
  name: string;
  privateKey: KeyObject;
  /** Its subjectKeyIdentifier, which the issued certificate names as its authority key. */
  keyId: Buffer;
}

export interface CertificateRequest {
  commonName: string;
  publicKey: KeyObject;
  notBefore: number;
  notAfter: number;
  /** A CA that signs the serving certificates (and no further CA), or a TLS server certificate. */
  ca: boolean;
  /** The CA that signs; undefined for a self-signed CA (with privateKey). */
  issuer?: Issuer;
  /** For a self-signed certificate: its own private key. */
  privateKey?: KeyObject;
  dnsNames?: readonly string[];
  ipAddresses?: readonly string[];
}

/** The key identifier of a public key: SHA-1 of the key's bits (RFC 5280 4.2.1.2, method 1). */
export function keyIdOf(publicKey: KeyObject): Buffer {
  const jwk = publicKey.export({ format: 'jwk' });
  const point = Buffer.concat([
    Buffer.from([4]),
    Buffer.from(jwk.x ?? '', 'base64url'),
    Buffer.from(jwk.y ?? '', 'base64url'),
  ]);
  return createHash('sha1').update(point).digest();
}

const name = (commonName: string): Buffer =>
  sequence(
    set(sequence(oid(OID.organization), utf8String('hpc-operator'))),
    set(sequence(oid(OID.commonName), utf8String(commonName))),
  );

const extension = (id: string, critical: boolean, value: Buffer): Buffer =>
  sequence(oid(id), ...(critical ? [boolean(true)] : []), octetString(value));

function extensions(req: CertificateRequest): Buffer {
  const own = keyIdOf(req.publicKey);
  const list = [
    extension(OID.basicConstraints, true, req.ca ? sequence(boolean(true), smallInteger(0)) : sequence()),
    extension(
      OID.keyUsage,
      true,
      namedBits(req.ca ? [DIGITAL_SIGNATURE, KEY_CERT_SIGN, CRL_SIGN] : [DIGITAL_SIGNATURE]),
    ),
    extension(OID.subjectKeyIdentifier, false, octetString(own)),
  ];
  if (req.issuer)
    list.push(extension(OID.authorityKeyIdentifier, false, sequence(implicitPrimitive(0, req.issuer.keyId))));
  if (!req.ca) {
    list.push(extension(OID.extKeyUsage, false, sequence(oid(OID.serverAuth))));
    list.push(extension(OID.subjectAltName, false, sequence(...altNames(req))));
  }
  return explicit(3, sequence(...list));
}

/** GeneralNames: dNSName [2] and iPAddress [7] (IPv4 only: what the operator serves on). */
function altNames(req: CertificateRequest): Buffer[] {
  const dns = (req.dnsNames ?? []).map((n) => implicitPrimitive(2, Buffer.from(n, 'ascii')));
  const ips = (req.ipAddresses ?? []).map((ip) => {
    if (!isIPv4(ip)) throw new Error(`x509: ${ip} is not an IPv4 address`);
    return implicitPrimitive(7, Buffer.from(ip.split('.').map(Number)));
  });
  return [...dns, ...ips];
}

/** A random positive serial number of 16 bytes (RFC 5280 4.1.2.2: at most 20, unique per CA). */
function serial(): Buffer {
  const bytes = randomBytes(16);
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x01;
  return unsignedInteger(bytes);
}

/** Builds and signs the certificate; PEM. */
export function issueCertificate(req: CertificateRequest): string {
  const signer = req.issuer?.privateKey ?? req.privateKey;
  if (!signer) throw new Error('x509: a self-signed certificate needs its private key');
  const algorithm = sequence(oid(OID.ecdsaWithSHA256));
  const tbs = sequence(
    explicit(0, smallInteger(2)),
    serial(),
    algorithm,
    name(req.issuer?.name ?? req.commonName),
    sequence(time(req.notBefore), time(req.notAfter)),
    name(req.commonName),
    req.publicKey.export({ type: 'spki', format: 'der' }),
    extensions(req),
  );
  const signature = sign('sha256', tbs, signer);
  return toPem('CERTIFICATE', sequence(tbs, algorithm, bitString(signature)));
}

export function toPem(label: string, der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** The certificates of a PEM bundle, each as its own PEM block. */
export function splitPem(bundle: string): string[] {
  return bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----\n?/g) ?? [];
}
