// The subject of a PKCS#10 certificate signing request, read from its DER with a small strict
// reader. Why not openssl's printed subject: a printed name is a string the CA must parse back,
// with escaping (RFC 2253 `\,`), multi-valued RDNs (`+`) and an order that differs between
// output formats — the first-CN-wins reading of `/CN=fleet.operator/CN=EVIL-01` enrolled a
// booth as the operator. Read from the DER there is nothing to unescape: the CA sees the exact
// list of RDNs and attributes and accepts one shape only, one RDN holding one CN.
// Node's X509Certificate reads certificates, not CSRs; the reader below covers the part of
// DER a CSR's subject needs (definite lengths, low tag numbers) and refuses everything else.

interface Tlv {
  tag: number;
  /** Content bytes. */
  value: Buffer;
  /** Offset just past this element in the buffer it was read from. */
  end: number;
}

const SEQUENCE = 0x30;
const SET = 0x31;
const OID = 0x06;
const UTF8_STRING = 0x0c;
const PRINTABLE_STRING = 0x13;
const CONTEXT_0 = 0xa0;
/** 2.5.4.3 id-at-commonName */
const COMMON_NAME_OID = Buffer.from([0x55, 0x04, 0x03]);

export class CsrError extends Error {}

function readTlv(buf: Buffer, offset: number): Tlv {
  if (offset + 2 > buf.length) throw new CsrError('truncated DER');
  const tag = buf[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new CsrError('DER high tag numbers are not used in a CSR subject');
  let length = buf[offset + 1]!;
  let start = offset + 2;
  if (length & 0x80) {
    const n = length & 0x7f;
    if (n === 0 || n > 4) throw new CsrError('DER indefinite or oversized length');
    if (start + n > buf.length) throw new CsrError('truncated DER length');
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + buf[start + i]!;
    if (length < 0x80 || buf[start] === 0) throw new CsrError('DER length not in its shortest form');
    start += n;
  }
  const end = start + length;
  if (end > buf.length) throw new CsrError('truncated DER content');
  return { tag, value: buf.subarray(start, end), end };
}

/** The elements of a constructed value, which must be read to its last byte. */
function children(parent: Buffer): Tlv[] {
  const out: Tlv[] = [];
  let offset = 0;
  while (offset < parent.length) {
    const tlv = readTlv(parent, offset);
    out.push(tlv);
    offset = tlv.end;
  }
  return out;
}

function expect(tlv: Tlv | undefined, tag: number, what: string): Tlv {
  if (!tlv || tlv.tag !== tag) throw new CsrError(`not a PKCS#10 request: ${what} expected`);
  return tlv;
}

/** The DER of the one `CERTIFICATE REQUEST` PEM block in `pem`; anything else around it is refused. */
export function csrDer(pem: string): Buffer {
  const blocks = [...pem.matchAll(/-----BEGIN (NEW )?CERTIFICATE REQUEST-----([\s\S]*?)-----END (NEW )?CERTIFICATE REQUEST-----/g)];
  if (blocks.length !== 1) throw new CsrError(`expected exactly one PEM CERTIFICATE REQUEST block, found ${blocks.length}`);
  if (pem.replace(blocks[0]![0], '').trim() !== '' || /-----BEGIN/.test(pem.replace(blocks[0]![0], ''))) {
    throw new CsrError('the CSR file holds something besides the request');
  }
  const body = blocks[0]![2]!.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body)) throw new CsrError('the PEM body is not base64');
  return Buffer.from(body, 'base64');
}

export interface SubjectAttribute {
  /** Dotted OID. */
  oid: string;
  tag: number;
  value: string;
}

function oidText(bytes: Buffer): string {
  if (bytes.length === 0) return '';
  const parts = [Math.floor(bytes[0]! / 40), bytes[0]! % 40];
  let acc = 0;
  for (const b of bytes.subarray(1)) {
    acc = acc * 128 + (b & 0x7f);
    if (!(b & 0x80)) {
      parts.push(acc);
      acc = 0;
    }
  }
  return parts.join('.');
}

/** The subject of a CSR as its list of RDNs, each a list of attributes, exactly as encoded. */
export function csrSubject(der: Buffer): SubjectAttribute[][] {
  const outer = readTlv(der, 0);
  if (outer.tag !== SEQUENCE || outer.end !== der.length) throw new CsrError('not a PKCS#10 request: one outer SEQUENCE expected');
  const [info] = children(outer.value);
  const fields = children(expect(info, SEQUENCE, 'CertificationRequestInfo').value);
  expect(fields[0], 0x02, 'version');
  const name = expect(fields[1], SEQUENCE, 'subject Name');
  expect(fields[2], SEQUENCE, 'subjectPublicKeyInfo');
  expect(fields[3], CONTEXT_0, 'attributes');
  return children(name.value).map((rdn) =>
    children(expect(rdn, SET, 'RelativeDistinguishedName').value).map((atv) => {
      const [type, value, extra] = children(expect(atv, SEQUENCE, 'AttributeTypeAndValue').value);
      if (extra) throw new CsrError('not a PKCS#10 request: AttributeTypeAndValue has extra fields');
      const oid = expect(type, OID, 'attribute type');
      if (!value) throw new CsrError('not a PKCS#10 request: attribute value missing');
      return { oid: oid.value.equals(COMMON_NAME_OID) ? '2.5.4.3' : oidText(oid.value), tag: value.tag, value: value.value.toString('latin1') };
    }),
  );
}

/**
 * The CN of a CSR whose subject is exactly one RDN holding exactly one commonName, encoded as a
 * UTF8String or PrintableString of printable ASCII. Any other subject is refused, with why.
 */
export function soleCommonName(pem: string): string {
  const subject = csrSubject(csrDer(pem));
  const attributes = subject.flat();
  if (subject.length !== 1 || attributes.length !== 1) {
    throw new CsrError(`the CSR subject must be exactly one CN, it has ${attributes.length} attribute(s) in ${subject.length} RDN(s)`);
  }
  const cn = attributes[0]!;
  if (cn.oid !== '2.5.4.3') throw new CsrError(`the CSR subject must be a CN, it is ${cn.oid}`);
  if (cn.tag !== UTF8_STRING && cn.tag !== PRINTABLE_STRING) throw new CsrError('the CN must be a UTF8String or PrintableString');
  if (!/^[\x21-\x7e]+$/.test(cn.value)) throw new CsrError('the CN holds characters other than printable ASCII');
  return cn.value;
}
