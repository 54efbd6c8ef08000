// The simulated camera's bundled photos (assets/camera/): the camera starts on a compliant
// sitter, every `london-*` sitter passes the real ANTS checks, every `refused-*` one fails.
// Stills go through the simulated sensor and are validated as the session does (validateCapture).
import t from 'tap';
import { SimulatedCamera, defaultPhotoSource } from '../../src/hal/camera/index.ts';
import { silentLogger } from '../../src/log.ts';
import { createValidator } from '../../src/vision/validator.ts';

t.test('the default camera folder starts on a compliant sitter; refused-* are refused', async (t) => {
  const source = defaultPhotoSource();
  t.match(source, /assets\/camera$/, 'bundled folder used when camera.source is unset');
  // Half-size stills keep the suite lean; full-size stills give the same verdicts.
  const camera = new SimulatedCamera({ source, previewFps: 15, stillWidth: 1296, stillHeight: 972, jpegQuality: 92 }, silentLogger());
  await camera.start();
  t.teardown(() => camera.stop());
  const validator = await createValidator({ logger: silentLogger() });
  t.teardown(() => validator.close());

  const photos = camera.photos();
  t.ok(photos.some((p) => p.startsWith('london-')) && photos.some((p) => p.startsWith('refused-')), 'both kinds present');
  t.equal(camera.currentPhoto(), photos[0], 'starts on the first photo in name order');
  t.notMatch(photos[0], /^refused-|astronaut/);
  for (const photo of photos) {
    await camera.selectPhoto(photo);
    const report = await validator.validateCapture((await camera.capture()).jpeg);
    const failed = report.checks.filter((c) => !c.pass).map((c) => c.id);
    if (photo.startsWith('refused-')) t.equal(report.compliant, false, `${photo} refused (${failed.join(', ')})`);
    else t.equal(report.compliant, true, `${photo} compliant${failed.length ? ` (failed: ${failed.join(', ')})` : ''}`);
  }
});
