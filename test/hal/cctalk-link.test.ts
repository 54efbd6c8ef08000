// ccTalk frames on the specification's own bytes, and the link's handling of each way a
// transaction goes wrong on a single-wire bus (no echo, garbled echo, no reply, corrupt reply,
// wrong address, NAK, busy, a late reply, a closed port), over a scripted wire: the device is a
// function of the bytes the host wrote, so each case is exact and takes milliseconds.
import t, { type Test } from 'tap';
import { Duplex } from 'node:stream';
import { ADDRESS, HEADER, checksumOf, decodeFrame, encodeFrame, hex } from '../../src/hal/coin-acceptor/frame.ts';
import { CctalkError, CctalkLink } from '../../src/hal/coin-acceptor/link.ts';
import type { Clock } from '../../src/hal/clock.ts';
import { silentLogger } from '../../src/log.ts';

t.test('frames: the specification\'s simple poll and its ACK, byte for byte', async (t) => {
  // ccTalk generic specification part 1: "2 0 1 254 255" polls address 2; "1 0 2 0 253" is its ACK.
  t.strictSame([...encodeFrame({ dest: 2, src: 1, header: 254, data: Buffer.alloc(0) })], [2, 0, 1, 254, 255]);
  t.strictSame(decodeFrame(Buffer.from([1, 0, 2, 0, 253])), { ok: true, frame: { dest: 1, src: 2, header: 0, data: Buffer.alloc(0) } });
  t.strictSame([...encodeFrame({ dest: 2, src: 1, header: 231, data: Buffer.from([0x14, 0x02]) })], [2, 2, 1, 231, 0x14, 0x02, (512 - 2 - 2 - 1 - 231 - 0x14 - 0x02) % 256]);
  t.equal(checksumOf(Buffer.from([2, 0, 1, 254])), 255);
  t.equal(checksumOf(Buffer.from([128, 128])), 0, 'a sum of 256 needs no correction');
  t.equal(checksumOf(Buffer.from([])), 0);
  t.strictSame(decodeFrame(Buffer.from([1, 2, 2, 0, 7, 9, 235])), { ok: true, frame: { dest: 1, src: 2, header: 0, data: Buffer.from([7, 9]) } });
  t.equal(encodeFrame({ dest: 2, src: 1, header: 0, data: Buffer.alloc(252) }).length, 257, '252 data bytes: the most a frame holds');
  t.throws(() => encodeFrame({ dest: 2, src: 1, header: 0, data: Buffer.alloc(253) }), { message: 'ccTalk data too long (253 bytes, at most 252)' });
});

t.test('frames: too short, length byte wrong, checksum wrong', async (t) => {
  t.strictSame(decodeFrame(Buffer.from([1, 0, 2, 0])), { ok: false, reason: 'frame too short (4 bytes)' });
  t.strictSame(decodeFrame(Buffer.from([1, 1, 2, 0, 253])), { ok: false, reason: 'frame length 5 does not match its length byte 1' });
  t.strictSame(decodeFrame(Buffer.from([1, 0, 2, 0, 252, 0])), { ok: false, reason: 'frame length 6 does not match its length byte 0' });
  t.strictSame(decodeFrame(Buffer.from([1, 0, 2, 0, 254])), { ok: false, reason: 'bad checksum (sum 1)' });
  t.equal(hex(Buffer.from([2, 0, 0xfe, 0xff])), '02 00 fe ff');
  t.equal(hex(Buffer.from([])), '');
});

/** A single-wire bus whose device answers each frame the host writes with the returned chunks. */
class Wire extends Duplex {
  readonly received: Buffer[] = [];
  constructor(private readonly device: (sent: Buffer, n: number) => Buffer[]) {
    super();
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    this.received.push(chunk);
    const out = this.device(chunk, this.received.length);
    setImmediate(() => {
      for (const bytes of out) this.push(bytes);
    });
    done();
  }
  override _read(): void {}
}

const reply = (header: number, data: number[] = [], src = 2, dest = 1) => encodeFrame({ dest, src, header, data: Buffer.from(data) });
// A reply timeout far above the scripted device's answer time (setImmediate), so that a loaded
// machine does not turn an expected reply into a timeout.
const linkOn = (t: Test, device: (sent: Buffer, n: number) => Buffer[], retries = 0, replyTimeoutMs = 200) => {
  const wire = new Wire(device);
  const link = new CctalkLink(wire, silentLogger(), { replyTimeoutMs, retries, gapMs: 20 });
  t.teardown(() => {
    link.close();
    wire.destroy();
  });
  return { wire, link };
};

const kindOf = async (p: Promise<unknown>): Promise<[string, string]> => {
  try {
    await p;
    return ['resolved', ''];
  } catch (err) {
    if (!(err instanceof CctalkError)) throw err;
    return [err.kind, err.message];
  }
};

t.test('a clean transaction: the echo, then the reply', async (t) => {
  const { wire, link } = linkOn(t, (sent) => [sent, reply(0, [42])]);
  t.strictSame(await link.request(ADDRESS.acceptor, HEADER.simplePoll, [5]), { dest: 1, src: 2, header: 0, data: Buffer.from([42]) });
  t.strictSame([...wire.received[0]!], [...encodeFrame({ dest: 2, src: 1, header: 254, data: Buffer.from([5]) })]);
  t.match(link.stats, { transactions: 1, failedAttempts: 0, timeouts: 0, echoErrors: 0, checksumErrors: 0, wrongAddress: 0, unsolicitedFrames: 0 });
});

t.test('each failure, with its kind, its message and its count', async (t) => {
  const cases: [string, (sent: Buffer) => Buffer[], [string, string], Partial<Record<string, number>>][] = [
    ['silence', () => [], ['no-echo', 'no echo of the request to address 2 (line broken or device absent)'], { timeouts: 1, echoErrors: 1 }],
    ['echo only', (s) => [s], ['timeout', 'no reply from address 2 within 200 ms'], { timeouts: 1, echoErrors: 0 }],
    ['garbled echo', () => [Buffer.from([2, 0, 1, 253, 0])], ['no-echo', 'echo missing or garbled: sent 02 00 01 fe ff, read 02 00 01 fd 00'], { echoErrors: 1, timeouts: 0 }],
    ['corrupt reply', (s) => [s, Buffer.from([1, 0, 2, 0, 250])], ['checksum', 'corrupt reply (bad checksum (sum 253)): 01 00 02 00 fa'], { checksumErrors: 1 }],
    ['reply from another address', (s) => [s, reply(0, [], 3)], ['wrong-address', 'reply from address 3 to 1, expected 2 to 1'], { wrongAddress: 1 }],
    ['reply to another address', (s) => [s, reply(0, [], 2, 7)], ['wrong-address', 'reply from address 2 to 7, expected 2 to 1'], { wrongAddress: 1 }],
    ['NAK', (s) => [s, reply(HEADER.nak)], ['nak', 'address 2 refused the request (NAK)'], { checksumErrors: 0 }],
    ['busy', (s) => [s, reply(HEADER.busy)], ['busy', 'address 2 is busy'], { checksumErrors: 0 }],
    ['not a reply header', (s) => [s, reply(7)], ['checksum', 'reply with header 7 (expected 0)'], { checksumErrors: 1 }],
  ];
  for (const [name, device, expected, counts] of cases) {
    const { link } = linkOn(t, device);
    t.strictSame(await kindOf(link.request(ADDRESS.acceptor, HEADER.simplePoll)), expected, name);
    t.match(link.stats, { transactions: 1, failedAttempts: 1, ...counts }, `${name}: counted`);
  }
});

t.test('retries: a failed attempt is repeated, a NAK is not; the timeout allows for the bytes sent', async (t) => {
  const flaky = linkOn(t, (s, n) => (n === 1 ? [s] : [s, reply(0, [1])]), 2);
  t.strictSame((await flaky.link.request(2, HEADER.simplePoll)).data, Buffer.from([1]));
  t.match(flaky.link.stats, { transactions: 1, failedAttempts: 1, timeouts: 1 });
  const nak = linkOn(t, (s) => [s, reply(HEADER.nak)], 2);
  t.equal((await kindOf(nak.link.request(2, HEADER.simplePoll)))[0], 'nak');
  t.equal(nak.wire.received.length, 1, 'a refused request is not repeated');
  const busy = linkOn(t, (s) => [s, reply(HEADER.busy)], 2);
  t.equal((await kindOf(busy.link.request(2, HEADER.simplePoll, [], { retries: 1 })))[0], 'busy');
  t.equal(busy.wire.received.length, 2, 'per-request retries');
  // 250 data bytes at 2 ms a byte: a reply 300 ms after the write is still in time (timeout 30).
  const slow = linkOn(t, () => [], 0, 30);
  const wire = slow.wire;
  const late = slow.link.request(2, HEADER.simplePoll, new Array(250).fill(0) as number[]);
  await new Promise((r) => setTimeout(r, 300));
  wire.push(wire.received[0]!);
  wire.push(reply(0, [9]));
  t.strictSame((await late).data, Buffer.from([9]), 'in time: 30 ms + 255 bytes x 2 ms');
});

t.test('a late reply before the echo is dropped; bytes with no request pending are counted', async (t) => {
  const { wire, link } = linkOn(t, (s) => [reply(0, [99]), s, reply(0, [1])]);
  t.strictSame((await link.request(2, HEADER.simplePoll)).data, Buffer.from([1]));
  t.equal(link.stats.unsolicitedFrames, 1);
  wire.push(reply(0, [5]));
  await new Promise((r) => setTimeout(r, 20));
  t.equal(link.stats.unsolicitedFrames, 2);
});

t.test('after garbage the link waits for a quiet line, then the next request goes through', async (t) => {
  const { wire, link } = linkOn(t, (s) => [s, reply(0, [1])]);
  wire.push(Buffer.from([1, 9, 2])); // a partial frame: the parser holds it until the gap
  await new Promise((r) => setTimeout(r, 1));
  t.strictSame((await link.request(2, HEADER.simplePoll)).data, Buffer.from([1]));
  t.equal(link.stats.failedAttempts, 0); // the wait itself: next test, on the link's clock
});

t.test('a closed port fails the pending request and every later one', async (t) => {
  const { wire, link } = linkOn(t, () => [], 2);
  const pending = link.request(2, HEADER.simplePoll);
  setTimeout(() => wire.destroy(), 5);
  t.strictSame(await kindOf(pending), ['closed', 'serial port closed']);
  t.strictSame(await kindOf(link.request(2, HEADER.simplePoll)), ['closed', 'serial port closed']);
});

t.test('defaults: two retries when none are given', async (t) => {
  const wire = new Wire((sent, n) => (n <= 2 ? [sent] : [sent, reply(0, [3])]));
  const link = new CctalkLink(wire, silentLogger(), { replyTimeoutMs: 200, gapMs: 20 });
  t.teardown(() => wire.destroy());
  t.strictSame((await link.request(2, HEADER.simplePoll)).data, Buffer.from([3]), 'the third attempt answered');
  t.equal(wire.received.length, 3);
});

t.test('a closed link sends nothing more; a failed write is not repeated', async (t) => {
  const { wire, link } = linkOn(t, (s) => [s, reply(0)], 2);
  link.close();
  t.strictSame(await kindOf(link.request(2, HEADER.simplePoll)), ['closed', 'serial port closed']);
  t.equal(wire.received.length, 0);

  class BrokenWire extends Duplex {
    writes = 0;
    override _write(_chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
      this.writes++;
      done(new Error('EIO'));
    }
    override _read(): void {}
  }
  const broken = new BrokenWire();
  broken.on('error', () => undefined);
  const failing = new CctalkLink(broken, silentLogger(), { replyTimeoutMs: 30, retries: 2, gapMs: 20 });
  t.teardown(() => broken.destroy());
  t.strictSame(await kindOf(failing.request(2, HEADER.simplePoll)), ['closed', 'serial write failed: EIO']);
  t.equal(broken.writes, 1, 'a write the port refused is not retried');
});

t.test('the quiet-line wait happens only after unframed bytes: counted on the link\'s clock', async (t) => {
  // Every timer the link sets (one reply timeout per attempt, plus the waits for a quiet line),
  // on a clock whose time moves only when one of its timers fires: the wait is exact.
  const timers: number[] = [];
  let now = 0;
  const clock: Clock = {
    now: () => now,
    setTimeout: (callback, ms) => {
      timers.push(ms);
      return setTimeout(() => {
        now += ms;
        callback();
      }, ms);
    },
    clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
  };
  const wire = new Wire((sent) => [sent, reply(0, [1])]);
  const link = new CctalkLink(wire, silentLogger(), { replyTimeoutMs: 200, retries: 0, gapMs: 20, byteMs: 2, clock });
  t.teardown(() => wire.destroy());
  await link.request(2, HEADER.simplePoll);
  await link.request(2, HEADER.simplePoll);
  t.strictSame(timers, [210, 210], 'two clean transactions: their reply timeouts (200 ms + 5 bytes x 2 ms) only');
  wire.push(Buffer.from([1, 9, 2])); // a partial frame the parser holds
  await new Promise((r) => setImmediate(r));
  await link.request(2, HEADER.simplePoll);
  t.strictSame(timers, [210, 210, 25, 210], 'after unframed bytes: a wait of the gap (+5 ms) for a quiet line, then the request');
  await link.request(2, HEADER.simplePoll);
  t.strictSame(timers, [210, 210, 25, 210, 210], 'clean again: no wait');
  t.equal(link.stats.failedAttempts, 0);
});
