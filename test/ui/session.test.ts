// A whole simulated session driven through the customer's screen in a real browser, in
// French then in English: the customer taps the screen (product, confirmation, language, accept, signature
// done, finish) while the simulated devices play their part (camera photo, touch strokes on
// the FT6236 model, coins through the ccTalk simulator). Screenshots of each step go to
// docs/screens/session-* with `npm run screenshots`.
import t from 'tap';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { buildBooth } from '../../src/booth/compose.ts';
import { loadConfig } from '../../src/config/load.ts';
import { coinsFor } from '../../src/demo/customer.ts';
import { TouchReplayer, loadRecording } from '../../src/hal/touch/index.ts';
import { silentLogger } from '../../src/log.ts';
import { createValidator } from '../../src/vision/validator.ts';
import { chromiumPath, launchChromium } from './chromium.ts';

const shots = process.env.CABINE_SCREENSHOTS === 'docs' ? new URL('../../docs/screens/', import.meta.url).pathname : mkdtempSync(join(tmpdir(), 'cabine-screens-')) + '/';
const recording = loadRecording(new URL('../fixtures/signatures/martin.json', import.meta.url).pathname);

t.test('a whole session through the screen, in French and in English', { skip: chromiumPath ? false : 'chromium not installed' }, async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cabine-ui-session-'));
  const config = loadConfig({ env: {}, overrides: { 'hal.simulated': true, 'data.dir': dataDir, 'ui.port': 0, 'ui.voice': false } });
  const booth = await buildBooth(config, silentLogger(), { control: false });
  await booth.start();
  t.teardown(() => booth.stop());
  t.equal(booth.unavailable(), null, 'the booth sells');
  const sim = booth.parts.sim!;
  const validator = await createValidator({ logger: silentLogger() });
  await sim.camera.selectPhoto('london-004');

  const browser = await launchChromium();
  t.teardown(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(booth.uiUrl());
  const screen = (name: string, timeout = 60_000) => page.waitForFunction(`document.body.dataset.screen === ${JSON.stringify(name)}`, undefined, { timeout });
  const shot = (page: Page, name: string) => page.screenshot({ path: `${shots}session-${name}.png` });

  for (const lang of ['fr', 'en'] as const) {
    await screen('attract');
    await page.click(`nav button[data-lang="${lang}"]`);
    await page.waitForFunction(`document.documentElement.lang === ${JSON.stringify(lang)}`);
    await shot(page, `${lang}-1-attract`);
    t.match(await page.textContent('button.product[data-product="ephoto"]'), /8[,.]00/, `${lang}: each product with its price`);
    t.match(await page.textContent('button.product[data-product="photo"]'), /6[,.]00/);

    await page.click('button.product[data-product="ephoto"]');
    await screen('confirm');
    await shot(page, `${lang}-1b-confirm`);
    await page.click('button[data-action="confirm"]');
    await screen('capture');
    // The live preview: frames arrive and their pixels change from one frame to the next.
    const previewSum = () => page.evaluate(`(() => {
      const img = document.getElementById('preview');
      if (!img.complete || !img.naturalWidth) return null;
      const c = document.createElement('canvas');
      c.width = img.naturalWidth; c.height = img.naturalHeight;
      const ctx = c.getContext('2d');
      ctx.drawImage(img, 0, 0);
      const d = ctx.getImageData(0, 0, c.width, c.height).data;
      let sum = 0;
      for (let i = 0; i < d.length; i += 4) sum = (sum * 31 + d[i] + d[i + 1] * 7 + d[i + 2] * 13) >>> 0;
      return { sum, width: c.width, height: c.height, src: img.src };
    })()`) as Promise<{ sum: number; width: number; height: number; src: string } | null>;
    await page.waitForFunction(`document.getElementById('preview').naturalWidth > 0`, undefined, { timeout: 30_000 });
    const first = await previewSum();
    t.ok(first && first.width === 640 && first.height === 480, `${lang}: the preview shows the camera's frames`);
    await page.waitForFunction(`document.getElementById('preview').src !== ${JSON.stringify(first?.src ?? '')}`, undefined, { timeout: 10_000 });
    const second = await previewSum();
    t.not(second?.sum, first?.sum, `${lang}: the preview's pixels change from frame to frame`);
    await shot(page, `${lang}-2-capture`);

    await screen('review');
    await page.waitForFunction(`document.getElementById('review-photo').naturalWidth > 0`);
    await shot(page, `${lang}-3-review`);
    // The review shows the delivered photo: the 35x45 crop the board prints, byte for byte.
    const shown = Buffer.from(((await page.getAttribute('#review-photo', 'src')) ?? '').replace(/^data:image\/jpeg;base64,/, ''), 'base64');
    const crop = await validator.crop(readFileSync(booth.machine.snapshot().photoFile!));
    t.ok(shown.equals(crop.print), `${lang}: the review image is the 35x45 crop that will be printed`);
    const size = (await page.evaluate(`[document.getElementById('review-photo').naturalWidth, document.getElementById('review-photo').naturalHeight, document.getElementById('review-photo').getBoundingClientRect().height]`)) as number[];
    t.same(size.slice(0, 2), [413, 531], `${lang}: 35x45 mm at 300 dpi`);
    t.ok(size[2]! >= 400, `${lang}: shown large (${size[2]} px high)`);
    t.equal(await page.isVisible('#accept'), true, `${lang}: a compliant photo can be kept`);
    t.equal(await page.locator('#checks li.fail').count(), 0, `${lang}: every check passed`);
    await page.click('#accept');

    await screen('signature');
    await new TouchReplayer(sim.touch, recording).play({ speed: 4 });
    await booth.parts.touch.settled();
    await page.waitForTimeout(300);
    await shot(page, `${lang}-4-signature`);
    await page.click('button[data-action="signature-done"]');

    await screen('payment');
    t.match(await page.textContent('#due'), /8[,.]00/, `${lang}: amount due`);
    const coins = coinsFor(booth.machine.snapshot().remainingCents);
    sim.coins!.insertCoin(coins[0]!);
    await page.waitForFunction(`document.getElementById('paid').textContent.includes('2')`);
    await shot(page, `${lang}-5-payment`);
    for (const coin of coins.slice(1)) {
      sim.coins!.insertCoin(coin);
      await page.waitForTimeout(250);
    }

    await screen('done', 90_000);
    await page.waitForFunction(`document.getElementById('code').textContent.trim().length > 0`);
    await shot(page, `${lang}-6-done`);
    const code = (await page.textContent('#code'))?.replace(/\s/g, '');
    t.equal(code, booth.machine.snapshot().code, `${lang}: the code on screen is the session's code`);
    t.match(await page.textContent('#code'), /^(\w{4} ){5}\w{2}$/, `${lang}: in groups of four`);
    t.equal(await page.locator('#qr svg').count(), 1, `${lang}: with its QR code`);
    await page.click('button[data-action="finish"]');
  }
  await screen('attract');
  t.equal(await page.getAttribute('html', 'lang'), 'fr', 'the next customer starts in the booth language');
});
