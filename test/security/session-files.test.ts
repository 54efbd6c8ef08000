// Attack on privacy by neglect: photos, signatures, boards and printer job files stayed on the
// booth forever. A real simulated session (scripted customer: real photo through the
// simulated camera, signature on the FT6236 model, coins through the ccTalk simulator, board
// at the simulated printer) shows them deleted once the session ends, with nothing the record
// needs lost: the outbox record carries the same photo and signature bytes, the code stays
// issued. A session abandoned after its capture and the leftovers of a power cut go too.
import t from 'tap';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBooth, type Booth } from '../../src/booth/compose.ts';
import { loadConfig } from '../../src/config/load.ts';
import { createControlHandlers } from '../../src/console/handlers.ts';
import { openSalesSwitch } from '../../src/console/sales.ts';
import { playCustomer } from '../../src/demo/customer.ts';
import { openJournal } from '../../src/flows/journal.ts';
import { silentLogger } from '../../src/log.ts';
import { until } from '../console/real-booth.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'cabine-sec-files-'));
t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
const config = loadConfig({ env: {}, overrides: { 'hal.simulated': true, 'data.dir': dataDir, 'booth.id': 'PRIV-1' } });
const start = async (): Promise<Booth> => {
  const booth = await buildBooth(config, silentLogger(), { ui: false, control: false });
  await booth.start();
  await until('recovery done', () => !booth.machine.snapshot().recovering);
  return booth;
};
const files = (dir: string) => (existsSync(join(dataDir, dir)) ? readdirSync(join(dataDir, dir)) : []);

t.test('a served session: its files go once it ends, the record keeps what it needs', async (t) => {
  const booth = await start();
  t.teardown(() => booth.stop());
  const result = await playCustomer(booth.machine, booth.parts, config);
  const s = result.snapshot;
  t.equal(s.step, 'done');
  const photo = readFileSync(s.photoFile!);
  const signature = readFileSync(s.signatureFile!);
  let board: string | undefined;
  let recordId: string | undefined;
  for (const { fact } of openJournal(booth.store).entries(result.sessionId)) {
    if (fact.type === 'PRINT_FINISHED' && fact.boardFile) board = fact.boardFile;
    if (fact.type === 'RECORD_QUEUED') recordId = fact.recordId;
  }
  t.ok(board && existsSync(board), 'while the customer reads the code, the board is there (positive control)');
  t.ok(files('printer').some((f) => f.includes(result.sessionId)), 'and its print job file');
  t.same(files('sessions'), [result.sessionId], 'and the session folder');

  booth.machine.send({ type: 'FINISH' });
  await until('files deleted', () => !existsSync(s.photoFile!) && !existsSync(board!));
  t.same(files('sessions'), [], 'photo and signature deleted');
  t.same(files('boards'), [], 'board deleted');
  t.notOk(files('printer').some((f) => f.includes(result.sessionId)), 'print job file deleted');

  const item = booth.fleet.outbox.get(recordId!);
  t.ok(item, 'the record waits in the outbox');
  const envelope = JSON.parse(item!.payload.toString()) as { record: string };
  const record = JSON.parse(envelope.record) as { data: { code: string }; files: Record<string, { base64: string }> };
  t.ok(Buffer.from(record.files.photo!.base64, 'base64').equals(photo), 'with the very photo');
  t.ok(Buffer.from(record.files.signature!.base64, 'base64').equals(signature), 'and signature');
  t.equal(record.data.code, s.code, 'and the code');

  // The technician's `journal tail` says a code was issued, not which one.
  const handlers = createControlHandlers({ config, store: booth.store, devices: [], sales: openSalesSwitch(booth.store), logger: silentLogger(), version: 'test', startedAt: Date.now() });
  const journal = (await handlers.journalTail({ limit: 200 })).map((l) => l.text).join('\n');
  t.match(journal, /CODE_ISSUED code=\(hidden\)/, 'the issue is in the journal tail');
  t.notMatch(journal, s.code!, 'the code is not');
});

t.test('an abandoned session and a power cut leave nothing behind', async (t) => {
  let booth = await start();
  booth.machine.send({ type: 'START' });
  await until('a photo taken', () => booth.machine.snapshot().photoFile !== null, 90_000);
  const abandoned = booth.machine.snapshot();
  t.ok(existsSync(abandoned.photoFile!), 'the capture is on disk during the session');
  booth.machine.send({ type: 'CANCEL' });
  await until('abandoned session files deleted', () => !existsSync(abandoned.photoFile!));
  t.same(files('sessions'), []);
  await booth.stop();

  // What a power cut in the middle of an older release's work would leave.
  mkdirSync(join(dataDir, 'sessions', 'cut-session'), { recursive: true });
  writeFileSync(join(dataDir, 'sessions', 'cut-session', 'photo.jpg'), 'face');
  mkdirSync(join(dataDir, 'boards'), { recursive: true });
  writeFileSync(join(dataDir, 'boards', 'cut-session.png'), 'board');
  writeFileSync(join(dataDir, 'printer', 'job-000099-cabine-cut-session-1.png'), 'job');
  writeFileSync(join(dataDir, 'printer', 'job-000100-cabine-test-1765000000000.png'), 'test page');
  mkdirSync(join(dataDir, 'console'), { recursive: true });
  writeFileSync(join(dataDir, 'console', 'camera-test-2026-01-01T00-00-00-000Z.jpg'), 'face');
  booth = await start();
  t.teardown(() => booth.stop());
  await until('leftovers swept at start', () => files('sessions').length === 0);
  t.same(files('boards'), [], 'boards');
  t.same(files('printer').filter((f) => f.includes('cut-session')), [], 'print jobs of ended sessions');
  t.ok(files('printer').includes('job-000100-cabine-test-1765000000000.png'), 'a test page is nobody\'s data: kept');
  t.same(files('console'), [], 'camera-test stills');
});
