// IPP/1.1-2.0 message encoding (RFC 8010 §3) written here rather than taken from npm:
// `ipp` (williamkapke, last release years ago) is callback-based, untyped and carries its own
// HTTP layer; `ipp-encoder` (watson) uses the deprecated `new Buffer`, reads past the end of a
// truncated message and decodes resolution, rangeOfInteger and collections as strings. The
// encoding itself is small and frozen by the RFC: a header, attribute groups of
// (tag, name, value) triples, an end tag, then the document. This decoder checks every length
// against the buffer, so garbage from the network gives a clear error, never a wrong value.

/** Delimiter tags (RFC 8010 §3.5.1). */
export const GroupTag = {
  operation: 0x01,
  job: 0x02,
  end: 0x03,
  printer: 0x04,
  unsupported: 0x05,
} as const;

/** Value tags (RFC 8010 §3.5.2). */
export const ValueTag = {
  unsupported: 0x10,
  unknown: 0x12,
  noValue: 0x13,
  integer: 0x21,
  boolean: 0x22,
  enum: 0x23,
  octetString: 0x30,
  dateTime: 0x31,
  resolution: 0x32,
  rangeOfInteger: 0x33,
  begCollection: 0x34,
  textWithLanguage: 0x35,
  nameWithLanguage: 0x36,
  endCollection: 0x37,
  textWithoutLanguage: 0x41,
  nameWithoutLanguage: 0x42,
  keyword: 0x44,
  uri: 0x45,
  uriScheme: 0x46,
  charset: 0x47,
  naturalLanguage: 0x48,
  mimeMediaType: 0x49,
  memberAttrName: 0x4a,
} as const;

/** Operation ids (RFC 8011 §5.4.15). */
export const Operation = {
  printJob: 0x0002,
  validateJob: 0x0004,
  cancelJob: 0x0008,
  getJobAttributes: 0x0009,
  getJobs: 0x000a,
  getPrinterAttributes: 0x000b,
} as const;

export interface Resolution {
  x: number;
  y: number;
  /** 3 = dots per inch, 4 = dots per centimetre. */
  units: number;
}

export interface Range {
  lower: number;
  upper: number;
}

export interface LocalizedText {
  lang: string;
  text: string;
}

/** An out-of-band value: the attribute is unsupported, unknown or has no value. */
export interface OutOfBand {
  outOfBand: 'unsupported' | 'unknown' | 'no-value';
}

export type IppCollection = { [member: string]: IppValue[] };

export type IppValue = number | boolean | string | Buffer | Date | Resolution | Range | LocalizedText | OutOfBand | IppCollection;

export interface IppAttribute {
  name: string;
  /** Value tag of the first value (the syntax of the attribute). */
  tag: number;
  values: IppValue[];
}

export interface IppGroup {
  tag: number;
  attributes: IppAttribute[];
}

export interface IppMessage {
  version: [number, number];
  /** Operation id in a request, status code in a response. */
  code: number;
  requestId: number;
  groups: IppGroup[];
  /** The document (request) or what follows the end tag. */
  data?: Buffer;
}

/** An attribute to encode: its syntax and one or more values of that syntax. */
export interface OutAttribute {
  name: string;
  tag: number;
  values: ReadonlyArray<string | number | boolean>;
}

export interface OutGroup {
  tag: number;
  attributes: OutAttribute[];
}

export class IppDecodeError extends Error {
  constructor(message: string) {
    super(`malformed IPP message: ${message}`);
    this.name = 'IppDecodeError';
  }
}

const STRING_TAGS = new Set<number>([
  ValueTag.textWithoutLanguage,
  ValueTag.nameWithoutLanguage,
  ValueTag.keyword,
  ValueTag.uri,
  ValueTag.uriScheme,
  ValueTag.charset,
  ValueTag.naturalLanguage,
  ValueTag.mimeMediaType,
  ValueTag.memberAttrName,
]);

function encodeValue(tag: number, value: string | number | boolean): Buffer {
  if (tag === ValueTag.integer || tag === ValueTag.enum) {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < -0x80000000 || value > 0x7fffffff) {
      throw new TypeError(`IPP integer/enum value must be a 32-bit integer, got ${String(value)}`);
    }
    const b = Buffer.alloc(4);
    b.writeInt32BE(value);
    return b;
  }
  if (tag === ValueTag.boolean) {
    if (typeof value !== 'boolean') throw new TypeError(`IPP boolean value expected, got ${String(value)}`);
    return Buffer.from([value ? 1 : 0]);
  }
  if (STRING_TAGS.has(tag) || tag === ValueTag.octetString) {
    if (typeof value !== 'string') throw new TypeError(`IPP string value expected, got ${String(value)}`);
    return Buffer.from(value, 'utf8');
  }
  if (tag === ValueTag.unknown || tag === ValueTag.noValue || tag === ValueTag.unsupported) return Buffer.alloc(0);
  throw new TypeError(`encoding IPP value tag 0x${tag.toString(16)} is not supported`);
}

function u16(n: number): Buffer {
  if (n > 0xffff) throw new RangeError(`IPP field of ${n} bytes exceeds 65535`);
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

/** Encodes a request (or response) header, attribute groups, end tag and document. */
export function encodeMessage(message: { version?: [number, number]; code: number; requestId: number; groups: OutGroup[]; data?: Buffer }): Buffer {
  const [major, minor] = message.version ?? [2, 0];
  const head = Buffer.alloc(8);
  head.writeInt8(major, 0);
  head.writeInt8(minor, 1);
  head.writeUInt16BE(message.code, 2);
  head.writeInt32BE(message.requestId, 4);
  const parts: Buffer[] = [head];
  for (const group of message.groups) {
    parts.push(Buffer.from([group.tag]));
    for (const attr of group.attributes) {
      if (attr.values.length === 0) throw new TypeError(`IPP attribute ${attr.name} has no value`);
      attr.values.forEach((value, i) => {
        const name = Buffer.from(i === 0 ? attr.name : '', 'utf8');
        const v = encodeValue(attr.tag, value);
        parts.push(Buffer.from([attr.tag]), u16(name.length), name, u16(v.length), v);
      });
    }
  }
  parts.push(Buffer.from([GroupTag.end]));
  if (message.data) parts.push(message.data);
  return Buffer.concat(parts);
}

class Reader {
  offset = 0;
  constructor(readonly buf: Buffer) {}
  need(n: number, what: string): void {
    if (this.offset + n > this.buf.length) throw new IppDecodeError(`truncated ${what} at byte ${this.offset} (need ${n}, have ${this.buf.length - this.offset})`);
  }
  u8(what: string): number {
    this.need(1, what);
    return this.buf.readUInt8(this.offset++);
  }
  u16(what: string): number {
    this.need(2, what);
    const v = this.buf.readUInt16BE(this.offset);
    this.offset += 2;
    return v;
  }
  bytes(n: number, what: string): Buffer {
    this.need(n, what);
    const b = this.buf.subarray(this.offset, this.offset + n);
    this.offset += n;
    return b;
  }
}

function decodeValue(tag: number, raw: Buffer, name: string): IppValue {
  const fixed = (n: number) => {
    if (raw.length !== n) throw new IppDecodeError(`attribute ${name}: value of tag 0x${tag.toString(16)} must be ${n} bytes, got ${raw.length}`);
  };
  switch (tag) {
    case ValueTag.unsupported:
      return { outOfBand: 'unsupported' };
    case ValueTag.unknown:
      return { outOfBand: 'unknown' };
    case ValueTag.noValue:
      return { outOfBand: 'no-value' };
    case ValueTag.integer:
    case ValueTag.enum:
      fixed(4);
      return raw.readInt32BE(0);
    case ValueTag.boolean:
      fixed(1);
      return raw[0] !== 0;
    case ValueTag.dateTime: {
      fixed(11);
      // RFC 2579 DateAndTime: year(2) month day hour min sec decisec direction(+/-) tzh tzm
      const utc = Date.UTC(raw.readUInt16BE(0), (raw[2] ?? 1) - 1, raw[3], raw[4], raw[5], raw[6], (raw[7] ?? 0) * 100);
      const offsetMin = ((raw[9] ?? 0) * 60 + (raw[10] ?? 0)) * (raw[8] === 0x2d ? -1 : 1);
      return new Date(utc - offsetMin * 60_000);
    }
    case ValueTag.resolution:
      fixed(9);
      return { x: raw.readInt32BE(0), y: raw.readInt32BE(4), units: raw.readInt8(8) };
    case ValueTag.rangeOfInteger:
      fixed(8);
      return { lower: raw.readInt32BE(0), upper: raw.readInt32BE(4) };
    case ValueTag.textWithLanguage:
    case ValueTag.nameWithLanguage: {
      const r = new Reader(raw);
      const lang = r.bytes(r.u16(`${name} language length`), `${name} language`).toString('utf8');
      const text = r.bytes(r.u16(`${name} text length`), `${name} text`).toString('utf8');
      return { lang, text };
    }
    case ValueTag.octetString:
      return Buffer.from(raw);
    default:
      // Every other tag in 0x40-0x5f is a character string; unknown tags keep their bytes.
      if (tag >= 0x40 && tag <= 0x5f) return raw.toString('utf8');
      return Buffer.from(raw);
  }
}

interface RawValue {
  tag: number;
  name: string;
  raw: Buffer;
}

function readRaw(r: Reader, tag: number): RawValue {
  const name = r.bytes(r.u16('name length'), 'name').toString('utf8');
  const raw = r.bytes(r.u16(`value length of ${name || '(additional value)'}`), `value of ${name || '(additional value)'}`);
  return { tag, name, raw };
}

/** Reads the members of a collection until its endCollection (RFC 8010 §3.1.6). */
function readCollection(r: Reader, depth: number, owner: string): IppCollection {
  if (depth > 16) throw new IppDecodeError(`collections nested deeper than 16 in ${owner}`);
  const collection: IppCollection = {};
  let member: string | undefined;
  while (true) {
    const tag = r.u8(`collection ${owner}`);
    const v = readRaw(r, tag);
    if (tag === ValueTag.endCollection) return collection;
    if (tag === ValueTag.memberAttrName) {
      member = v.raw.toString('utf8');
      collection[member] = [];
      continue;
    }
    if (member === undefined) throw new IppDecodeError(`collection ${owner}: value before any member name`);
    const values = collection[member] as IppValue[];
    values.push(tag === ValueTag.begCollection ? readCollection(r, depth + 1, `${owner}.${member}`) : decodeValue(tag, v.raw, `${owner}.${member}`));
  }
}

/** Decodes a whole IPP message; throws IppDecodeError on anything that is not one. */
export function decodeMessage(buf: Buffer): IppMessage {
  if (buf.length < 9) throw new IppDecodeError(`${buf.length} bytes is shorter than any IPP message`);
  const r = new Reader(buf);
  const version: [number, number] = [r.u8('version'), r.u8('version')];
  if (version[0] < 1 || version[0] > 2) throw new IppDecodeError(`unsupported IPP version ${version[0]}.${version[1]}`);
  const code = r.u16('status code');
  r.need(4, 'request id');
  const requestId = buf.readInt32BE(r.offset);
  r.offset += 4;
  const groups: IppGroup[] = [];
  let group: IppGroup | undefined;
  let last: IppAttribute | undefined;
  while (true) {
    const tag = r.u8('tag');
    if (tag === GroupTag.end) break;
    if (tag <= 0x0f) {
      group = { tag, attributes: [] };
      groups.push(group);
      last = undefined;
      continue;
    }
    if (!group) throw new IppDecodeError(`value tag 0x${tag.toString(16)} before any attribute group`);
    const v = readRaw(r, tag);
    if (tag === ValueTag.endCollection || tag === ValueTag.memberAttrName) throw new IppDecodeError(`tag 0x${tag.toString(16)} outside a collection`);
    const value = tag === ValueTag.begCollection ? readCollection(r, 1, v.name || last?.name || '?') : decodeValue(tag, v.raw, v.name || last?.name || '?');
    if (v.name === '') {
      if (!last) throw new IppDecodeError('additional value without an attribute');
      last.values.push(value);
    } else {
      last = { name: v.name, tag, values: [value] };
      group.attributes.push(last);
    }
  }
  const rest = buf.subarray(r.offset);
  return { version, code, requestId, groups, ...(rest.length ? { data: Buffer.from(rest) } : {}) };
}

/** First group of `tag` as a name → attribute map (later duplicates win, as in CUPS). */
export function groupAttributes(message: IppMessage, tag: number, index = 0): Map<string, IppAttribute> {
  const map = new Map<string, IppAttribute>();
  const group = message.groups.filter((g) => g.tag === tag)[index];
  for (const attr of group?.attributes ?? []) map.set(attr.name, attr);
  return map;
}

/** IPP status codes worth a name in an error message (RFC 8011 §B, PWG 5100.x). */
export const STATUS_NAMES: Record<number, string> = {
  0x0000: 'successful-ok',
  0x0001: 'successful-ok-ignored-or-substituted-attributes',
  0x0002: 'successful-ok-conflicting-attributes',
  0x0400: 'client-error-bad-request',
  0x0401: 'client-error-forbidden',
  0x0402: 'client-error-not-authenticated',
  0x0403: 'client-error-not-authorized',
  0x0404: 'client-error-not-possible',
  0x0405: 'client-error-timeout',
  0x0406: 'client-error-not-found',
  0x0407: 'client-error-gone',
  0x0408: 'client-error-request-entity-too-large',
  0x040a: 'client-error-document-format-not-supported',
  0x040b: 'client-error-attributes-or-values-not-supported',
  0x040c: 'client-error-uri-scheme-not-supported',
  0x040d: 'client-error-charset-not-supported',
  0x040e: 'client-error-conflicting-attributes',
  0x0500: 'server-error-internal-error',
  0x0501: 'server-error-operation-not-supported',
  0x0502: 'server-error-service-unavailable',
  0x0503: 'server-error-version-not-supported',
  0x0504: 'server-error-device-error',
  0x0505: 'server-error-temporary-error',
  0x0506: 'server-error-not-accepting-jobs',
  0x0507: 'server-error-busy',
  0x0508: 'server-error-job-canceled',
};

export function statusName(code: number): string {
  return STATUS_NAMES[code] ?? `status 0x${code.toString(16).padStart(4, '0')}`;
}
