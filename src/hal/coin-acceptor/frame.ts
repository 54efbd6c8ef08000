// ccTalk frames: [destination, data length, source, header, data..., checksum] with the
// simple 8-bit checksum (the sum of every byte of the frame is 0 mod 256). Shared by the
// host link and the device simulator so both speak exactly the same bytes.

export const ADDRESS = { host: 1, acceptor: 2, hopper: 3 } as const;

/** The ccTalk headers the booth uses (ccTalk generic specification, part 2). */
export const HEADER = {
  reply: 0,
  resetDevice: 1,
  nak: 5,
  busy: 6,
  testHopper: 163,
  enableHopper: 164,
  requestHopperStatus: 166,
  dispenseHopperCoins: 167,
  requestHopperCoin: 171,
  emergencyStop: 172,
  requestCoinId: 184,
  requestMasterInhibit: 227,
  modifyMasterInhibit: 228,
  readBufferedCredit: 229,
  requestInhibitStatus: 230,
  modifyInhibitStatus: 231,
  requestSoftwareRevision: 241,
  requestSerialNumber: 242,
  requestProductCode: 244,
  requestEquipmentCategory: 245,
  requestManufacturerId: 246,
  simplePoll: 254,
} as const;

export interface Frame {
  dest: number;
  src: number;
  header: number;
  data: Buffer;
}

/** The simple checksum byte that makes the frame sum to 0 mod 256. */
export function checksumOf(bytes: Uint8Array): number {
  let sum = 0;
  for (const b of bytes) sum = (sum + b) & 0xff;
  return (256 - sum) & 0xff;
}

export function encodeFrame(frame: Frame): Buffer {
  if (frame.data.length > 252) throw new Error(`ccTalk data too long (${frame.data.length} bytes, at most 252)`);
  const body = Buffer.from([frame.dest, frame.data.length, frame.src, frame.header, ...frame.data]);
  return Buffer.concat([body, Buffer.from([checksumOf(body)])]);
}

export type DecodeResult = { ok: true; frame: Frame } | { ok: false; reason: string };

/** Checks length and checksum of one complete frame (as split by the ccTalk parser). */
export function decodeFrame(bytes: Buffer): DecodeResult {
  if (bytes.length < 5) return { ok: false, reason: `frame too short (${bytes.length} bytes)` };
  const len = bytes[1] as number;
  if (bytes.length !== len + 5) return { ok: false, reason: `frame length ${bytes.length} does not match its length byte ${len}` };
  let sum = 0;
  for (const b of bytes) sum = (sum + b) & 0xff;
  if (sum !== 0) return { ok: false, reason: `bad checksum (sum ${sum})` };
  return {
    ok: true,
    frame: { dest: bytes[0] as number, src: bytes[2] as number, header: bytes[3] as number, data: Buffer.from(bytes.subarray(4, 4 + len)) },
  };
}

export const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex').replace(/(..)(?!$)/g, '$1 ');
