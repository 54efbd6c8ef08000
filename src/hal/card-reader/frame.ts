// MDB (Multi-Drop Bus) blocks and how they travel over the serial line of the booth's
// MDB-to-serial interface. Shared by the cashless driver and the reader simulator so both
// speak exactly the same bytes. Full description: docs/payment.md "MDB interface".
//
// MDB words are 9 bits: 8 data bits and the mode bit. From the master (the booth, "VMC"),
// the mode bit marks the address byte (the first of a block); from a peripheral it marks the
// last byte of a block (its checksum, or a lone ACK/NAK). The checksum (CHK) is the sum of
// the block's other bytes mod 256. The interface carries each block as one ASCII line:
//   host -> interface   "> 112 012\n"        (each word as 3 hex digits: 0x100 = mode bit)
//   interface -> host   "< 003 007 0D0 0DA\n" (the peripheral's words, up to the mode-bit word)
//                       "! timeout\n"        (the peripheral did not answer within t-response)
// The interface only moves words; the checksum, ACK/NAK/RET and retries are the driver's.

export const MODE_BIT = 0x100;

/** MDB control words (sent alone). */
export const CONTROL = { ack: 0x00, ret: 0xaa, nak: 0xff } as const;

/** Cashless device #1: its address (top 5 bits) and the command offsets of MDB 4.2, section 7. */
export const CASHLESS_ADDRESS = 0x10;

export const COMMAND = {
  reset: 0x10,
  setup: 0x11,
  poll: 0x12,
  vend: 0x13,
  reader: 0x14,
  expansion: 0x17,
} as const;

export const SETUP = { configData: 0x00, maxMinPrices: 0x01 } as const;
export const VEND = { request: 0x00, cancel: 0x01, success: 0x02, failure: 0x03, sessionComplete: 0x04 } as const;
export const READER = { disable: 0x00, enable: 0x01, cancel: 0x02 } as const;
export const EXPANSION = { requestId: 0x00 } as const;

/** First byte of a peripheral's data (poll replies and command replies). */
export const REPLY = {
  justReset: 0x00,
  readerConfig: 0x01,
  displayRequest: 0x02,
  beginSession: 0x03,
  sessionCancelRequest: 0x04,
  vendApproved: 0x05,
  vendDenied: 0x06,
  endSession: 0x07,
  cancelled: 0x08,
  peripheralId: 0x09,
  malfunction: 0x0a,
  outOfSequence: 0x0b,
} as const;

/** ISO 4217 numeric currency code with MDB's leading 1: euro. */
export const EURO_COUNTRY_CODE = 0x1978;

/** Funds reported as "unknown" in BEGIN SESSION. */
export const FUNDS_UNKNOWN = 0xffff;

export function checksumOf(bytes: readonly number[]): number {
  let sum = 0;
  for (const b of bytes) sum = (sum + b) & 0xff;
  return sum;
}

/** A master block: address/command byte (mode bit set), data, checksum. */
export function masterBlock(bytes: readonly number[]): number[] {
  if (bytes.length === 0 || bytes.length > 35) throw new Error(`MDB block of ${bytes.length} bytes (1-35)`);
  return [(bytes[0] as number) | MODE_BIT, ...bytes.slice(1), checksumOf(bytes)];
}

/** A peripheral block: data then checksum with the mode bit (or a lone control word). */
export function peripheralBlock(bytes: readonly number[]): number[] {
  if (bytes.length === 0 || bytes.length > 36) throw new Error(`MDB block of ${bytes.length} bytes (1-36)`);
  return [...bytes, checksumOf(bytes) | MODE_BIT];
}

export const controlWord = (word: number, fromPeripheral: boolean): number[] => [fromPeripheral ? word | MODE_BIT : word];

/** What a peripheral's block says, checksum checked. */
export type PeripheralReply = { kind: 'ack' } | { kind: 'nak' } | { kind: 'data'; data: number[] } | { kind: 'bad'; reason: string };

export function decodePeripheral(words: readonly number[]): PeripheralReply {
  if (words.length === 0) return { kind: 'bad', reason: 'empty block' };
  const last = words[words.length - 1] as number;
  if (!(last & MODE_BIT)) return { kind: 'bad', reason: 'block does not end with the mode bit' };
  if (words.slice(0, -1).some((w) => w & MODE_BIT)) return { kind: 'bad', reason: 'mode bit before the end of the block' };
  if (words.length === 1) {
    const w = last & 0xff;
    if (w === CONTROL.ack) return { kind: 'ack' };
    if (w === CONTROL.nak) return { kind: 'nak' };
    return { kind: 'bad', reason: `lone word ${w.toString(16)} is neither ACK nor NAK` };
  }
  const data = words.slice(0, -1);
  if (checksumOf(data) !== (last & 0xff)) return { kind: 'bad', reason: 'bad checksum' };
  return { kind: 'data', data };
}

/** What the master sent, checksum checked (the simulator's side). */
export type MasterBlock = { kind: 'control'; word: number } | { kind: 'command'; bytes: number[] } | { kind: 'bad'; reason: string };

export function decodeMaster(words: readonly number[]): MasterBlock {
  if (words.length === 0) return { kind: 'bad', reason: 'empty block' };
  const first = words[0] as number;
  if (!(first & MODE_BIT)) {
    if (words.length === 1) return { kind: 'control', word: first };
    return { kind: 'bad', reason: 'block does not start with the mode bit' };
  }
  if (words.slice(1).some((w) => w & MODE_BIT)) return { kind: 'bad', reason: 'mode bit after the address byte' };
  if (words.length < 2) return { kind: 'bad', reason: 'no checksum' };
  const bytes = words.slice(0, -1).map((w) => w & 0xff);
  if (checksumOf(bytes) !== (words[words.length - 1] as number)) return { kind: 'bad', reason: 'bad checksum' };
  return { kind: 'command', bytes };
}

const WORD_RE = /^[0-9A-Fa-f]{3}$/;

/** One line of the serial interface: words the host sends, the peripheral's words, or an interface error. */
export type InterfaceLine = { dir: '>' | '<'; words: number[] } | { dir: '!'; error: string };

export function encodeLine(line: InterfaceLine): Buffer {
  if (line.dir === '!') return Buffer.from(`! ${line.error.replace(/[^\x20-\x7e]/g, '?')}\n`, 'ascii');
  return Buffer.from(`${line.dir} ${line.words.map((w) => w.toString(16).toUpperCase().padStart(3, '0')).join(' ')}\n`, 'ascii');
}

/** Parses one line (without its newline); undefined when it is not a well-formed line. */
export function decodeLine(text: string): InterfaceLine | undefined {
  const line = text.replace(/\r$/, '');
  if (line.length > 200) return undefined;
  if (line.startsWith('! ')) return { dir: '!', error: line.slice(2) };
  const dir = line[0];
  if ((dir !== '>' && dir !== '<') || line[1] !== ' ') return undefined;
  const parts = line.slice(2).split(' ');
  if (parts.length === 0 || parts.length > 40 || !parts.every((p) => WORD_RE.test(p))) return undefined;
  const words = parts.map((p) => parseInt(p, 16));
  if (words.some((w) => w > 0x1ff)) return undefined;
  return { dir, words };
}

/** A 16-bit big-endian field. */
export const u16 = (n: number): number[] => [(n >> 8) & 0xff, n & 0xff];
export const readU16 = (bytes: readonly number[], at: number): number => (((bytes[at] ?? 0) << 8) | (bytes[at + 1] ?? 0)) >>> 0;

export const hexWords = (words: readonly number[]): string => words.map((w) => w.toString(16).padStart(3, '0')).join(' ');
