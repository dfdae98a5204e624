/**
 * DER encoding (ITU-T X.690) of the few ASN.1 types an X.509 certificate needs. Node's crypto signs and
 * verifies, and reads certificates (X509Certificate), but cannot build one; x509.ts builds them from these.
 * Every function returns one complete TLV (tag, length, value).
 */

/** A TLV with the given tag byte around `content`. */
export function tlv(tag: number, content: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), derLength(content.length), content]);
}

/** Definite-length form: short below 128, else 0x80|n followed by n big-endian length bytes. */
function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

export const sequence = (...items: Buffer[]): Buffer => tlv(0x30, Buffer.concat(items));
export const set = (...items: Buffer[]): Buffer => tlv(0x31, Buffer.concat(items));
export const nullValue = (): Buffer => Buffer.from([0x05, 0x00]);
export const boolean = (v: boolean): Buffer => tlv(0x01, Buffer.from([v ? 0xff : 0x00]));
export const octetString = (v: Buffer): Buffer => tlv(0x04, v);
export const utf8String = (v: string): Buffer => tlv(0x0c, Buffer.from(v, 'utf8'));

/** A BIT STRING of whole bytes (no unused bits): signatures and keys. */
export const bitString = (v: Buffer): Buffer => tlv(0x03, Buffer.concat([Buffer.from([0]), v]));

/**
 * A named-bit BIT STRING (KeyUsage): bit 0 is the most significant bit of the first byte; DER drops trailing
 * zero bits and says how many bits of the last byte are unused.
 */
export function namedBits(bits: readonly number[]): Buffer {
  const last = Math.max(...bits);
  const bytes = Buffer.alloc(Math.floor(last / 8) + 1);
  for (const b of bits) bytes[Math.floor(b / 8)] = (bytes[Math.floor(b / 8)] ?? 0) | (0x80 >> (b % 8));
  const unused = 7 - (last % 8);
  return tlv(0x03, Buffer.concat([Buffer.from([unused]), bytes]));
}

/** A non-negative INTEGER from its big-endian magnitude: leading zeros dropped, a 0 added before a high bit. */
export function unsignedInteger(magnitude: Buffer): Buffer {
  let i = 0;
  while (i < magnitude.length - 1 && magnitude[i] === 0) i++;
  const v = magnitude.subarray(i);
  return tlv(0x02, (v[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.from([0]), v]) : Buffer.from(v));
}

export const smallInteger = (n: number): Buffer => unsignedInteger(Buffer.from([n]));

/** An OBJECT IDENTIFIER from its dotted form. */
export function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split('.').map(Number) as [number, number, ...number[]];
  const bytes = [a * 40 + b];
  for (const arc of rest) {
    const groups: number[] = [];
    for (let v = arc; ; v = Math.floor(v / 128)) {
      groups.unshift(v % 128);
      if (v < 128) break;
    }
    bytes.push(...groups.map((g, i) => (i < groups.length - 1 ? g | 0x80 : g)));
  }
  return tlv(0x06, Buffer.from(bytes));
}

/**
 * A certificate validity time: UTCTime (YYMMDDHHMMSSZ) through 2049, GeneralizedTime (YYYYMMDDHHMMSSZ) from
 * 2050, as RFC 5280 4.1.2.5 requires. Whole seconds.
 */
export function time(ms: number): Buffer {
  const iso = new Date(ms).toISOString(); // 2026-12-03T01:02:03.456Z
  const digits = iso.slice(0, 19).replace(/[-T:]/g, '') + 'Z';
  const year = Number(iso.slice(0, 4));
  return year < 2050 ? tlv(0x17, Buffer.from(digits.slice(2))) : tlv(0x18, Buffer.from(digits));
}

/** [n] EXPLICIT: a constructed context-specific tag around a complete TLV. */
export const explicit = (n: number, inner: Buffer): Buffer => tlv(0xa0 | n, inner);

/** [n] IMPLICIT of a primitive type: the tag replaces the type's own (GeneralName's dNSName, iPAddress). */
export const implicitPrimitive = (n: number, content: Buffer): Buffer => tlv(0x80 | n, content);
