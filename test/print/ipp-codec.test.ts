import t from 'tap';
import { GroupTag, IppDecodeError, Operation, ValueTag, decodeMessage, encodeMessage, groupAttributes } from '../../src/hal/printer/ipp-codec.ts';
import { assessReadiness, classifyReasons, type PrinterState } from '../../src/hal/printer/interface.ts';
import { httpUrlOf } from '../../src/hal/printer/ipp-client.ts';
import { boardMedia, chooseFormat, pwgMediaSize } from '../../src/print/document.ts';

/** Hand-assembled attribute bytes, as RFC 8010 §3.1.4 lays them out. */
function attr(tag: number, name: string, value: Buffer): Buffer {
  const n = Buffer.from(name);
  const len = (x: number) => Buffer.from([x >> 8, x & 0xff]);
  return Buffer.concat([Buffer.from([tag]), len(n.length), n, len(value.length), value]);
}
const int32 = (v: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(v);
  return b;
};

t.test('encodes a request byte for byte as RFC 8010 lays it out', async (t) => {
  const buf = encodeMessage({
    code: Operation.getPrinterAttributes,
    requestId: 7,
    groups: [{ tag: GroupTag.operation, attributes: [{ name: 'attributes-charset', tag: ValueTag.charset, values: ['utf-8'] }, { name: 'requested-attributes', tag: ValueTag.keyword, values: ['a', 'bc'] }] }],
  });
  const expected = Buffer.concat([
    Buffer.from([2, 0, 0, 0x0b, 0, 0, 0, 7, 0x01]),
    attr(0x47, 'attributes-charset', Buffer.from('utf-8')),
    attr(0x44, 'requested-attributes', Buffer.from('a')),
    attr(0x44, '', Buffer.from('bc')),
    Buffer.from([0x03]),
  ]);
  t.same(buf, expected);
  t.throws(() => encodeMessage({ code: 2, requestId: 1, groups: [{ tag: 1, attributes: [{ name: 'copies', tag: ValueTag.integer, values: ['x'] }] }] }), /32-bit integer/);
});

t.test('decodes every value syntax a printer answers with, collections included', async (t) => {
  const date = Buffer.from([0x07, 0xea, 11, 23, 10, 30, 15, 5, 0x2b, 1, 0]); // 2026-11-23 10:30:15.5 +01:00
  const res = Buffer.concat([
    Buffer.from([2, 0, 0, 0, 0, 0, 0, 9, 0x01]),
    attr(0x41, 'status-message', Buffer.from('successful-ok')),
    Buffer.from([0x04]),
    attr(0x23, 'printer-state', int32(3)),
    attr(0x44, 'printer-state-reasons', Buffer.from('media-empty-report')),
    attr(0x44, '', Buffer.from('toner-low')),
    attr(0x22, 'printer-is-accepting-jobs', Buffer.from([1])),
    attr(0x33, 'copies-supported', Buffer.concat([int32(1), int32(99)])),
    attr(0x32, 'printer-resolution-default', Buffer.concat([int32(300), int32(300), Buffer.from([3])])),
    attr(0x31, 'printer-current-time', date),
    attr(0x35, 'printer-info', Buffer.concat([Buffer.from([0, 2]), Buffer.from('fr'), Buffer.from([0, Buffer.byteLength('Café')]), Buffer.from('Café')])),
    attr(0x34, 'media-col-default', Buffer.alloc(0)),
    attr(0x4a, '', Buffer.from('media-size')),
    attr(0x34, '', Buffer.alloc(0)),
    attr(0x4a, '', Buffer.from('x-dimension')),
    attr(0x21, '', int32(10160)),
    attr(0x37, '', Buffer.alloc(0)),
    attr(0x4a, '', Buffer.from('media-source')),
    attr(0x44, '', Buffer.from('main')),
    attr(0x37, '', Buffer.alloc(0)),
    attr(0x13, 'media-ready', Buffer.alloc(0)),
    Buffer.from([0x03]),
  ]);
  const msg = decodeMessage(res);
  t.equal(msg.requestId, 9);
  const p = groupAttributes(msg, GroupTag.printer);
  t.same(p.get('printer-state')?.values, [3]);
  t.same(p.get('printer-state-reasons')?.values, ['media-empty-report', 'toner-low']);
  t.same(p.get('printer-is-accepting-jobs')?.values, [true]);
  t.same(p.get('copies-supported')?.values, [{ lower: 1, upper: 99 }]);
  t.same(p.get('printer-resolution-default')?.values, [{ x: 300, y: 300, units: 3 }]);
  t.equal((p.get('printer-current-time')?.values[0] as Date).toISOString(), '2026-11-23T09:30:15.500Z');
  t.same(p.get('printer-info')?.values, [{ lang: 'fr', text: 'Café' }]);
  t.same(p.get('media-col-default')?.values, [{ 'media-size': [{ 'x-dimension': [10160] }], 'media-source': ['main'] }]);
  t.same(p.get('media-ready')?.values, [{ outOfBand: 'no-value' }]);
});

t.test('garbage, truncation and nonsense give IppDecodeError, never a wrong value', async (t) => {
  const good = encodeMessage({ code: 0, requestId: 1, groups: [{ tag: 1, attributes: [{ name: 'attributes-charset', tag: ValueTag.charset, values: ['utf-8'] }] }] });
  for (let cut = 0; cut < good.length - 1; cut++) t.throws(() => decodeMessage(good.subarray(0, cut)), IppDecodeError, `cut at ${cut}`);
  t.throws(() => decodeMessage(Buffer.from('HTTP/1.1 200 OK\r\n\r\n<html>')), /unsupported IPP version|truncated/);
  t.throws(() => decodeMessage(Buffer.concat([Buffer.from([2, 0, 0, 0, 0, 0, 0, 1, 0x04]), attr(0x21, 'copies', Buffer.from([1, 2])), Buffer.from([3])])), /must be 4 bytes/);
  t.throws(() => decodeMessage(Buffer.concat([Buffer.from([2, 0, 0, 0, 0, 0, 0, 1]), attr(0x21, 'copies', int32(1)), Buffer.from([3])])), /before any attribute group/);
  // random bytes: always an IppDecodeError or a message, never another exception
  let seed = 42;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % 256);
  for (let i = 0; i < 2000; i++) {
    const b = Buffer.from(Array.from({ length: 9 + (i % 60) }, rnd));
    b[0] = 2;
    try {
      decodeMessage(b);
    } catch (err) {
      if (!(err instanceof IppDecodeError)) t.fail(`random bytes threw ${(err as Error).name}: ${(err as Error).message}`);
    }
  }
});

t.test('printer-state-reasons: blocking by meaning, warnings by suffix or meaning', async (t) => {
  const c = classifyReasons(['none', 'media-empty-report', 'media-jam-error', 'offline-report', 'cover-open-warning', 'marker-supply-low-report', 'toner-low', 'media-low', 'marker-waste-almost-full-warning', 'other', 'cups-insecure-filter-warning', 'identify-printer-requested', 'media-needed']);
  t.same(c.blocking, ['media-empty-report', 'media-jam-error', 'offline-report', 'cover-open-warning', 'other', 'media-needed']);
  t.same(c.warnings, ['marker-supply-low-report', 'toner-low', 'media-low', 'marker-waste-almost-full-warning', 'cups-insecure-filter-warning']);
  const base: PrinterState = { state: 'idle', reasons: [], acceptingJobs: true, formats: [], media: { supported: [], ready: [] }, scaling: [], checkedAt: '' };
  t.same(assessReadiness(base), { ok: true, warnings: [] });
  t.match(assessReadiness({ ...base, reasons: ['media-empty-report'] }), { ok: false, reason: /media-empty/ });
  t.match(assessReadiness({ ...base, state: 'stopped' }), { ok: false, reason: /stopped/ });
  t.match(assessReadiness({ ...base, acceptingJobs: false }), { ok: false, reason: /not accepting/ });
  t.match(assessReadiness({ ...base, state: 'unreachable', message: 'ECONNREFUSED' }), { ok: false, reason: /unreachable: ECONNREFUSED/ });
  t.same(assessReadiness({ ...base, reasons: ['marker-supply-low-warning'] }), { ok: true, warnings: ['marker-supply-low-warning'] });
  t.match(assessReadiness(undefined), { ok: false });
});

t.test('printer URI, media and format choice', async (t) => {
  t.equal(httpUrlOf('ipp://localhost/printers/dnp'), 'http://localhost:631/printers/dnp');
  t.equal(httpUrlOf('ipps://[::1]:8443/ipp/print'), 'https://[::1]:8443/ipp/print');
  t.throws(() => httpUrlOf('http://x/y'), /ipp:\/\//);
  t.same(pwgMediaSize('iso_a4_210x297mm'), { width: 210, height: 297 });
  t.equal(boardMedia(['na_letter_8.5x11in', 'na_index-4x6_4x6in']), 'na_index-4x6_4x6in');
  t.equal(boardMedia(['iso_a4_210x297mm', 'om_small-photo_100x150mm']), 'om_small-photo_100x150mm');
  t.equal(boardMedia(['iso_a4_210x297mm', 'na_5x7_5x7in']), undefined);
  t.equal(chooseFormat([]), 'image/png');
  t.equal(chooseFormat(['application/octet-stream', 'application/pdf', 'image/jpeg']), 'image/jpeg');
  t.equal(chooseFormat(['application/pdf', 'image/pwg-raster']), 'application/pdf');
  t.throws(() => chooseFormat(['image/pwg-raster']), /accepts none/);
});
