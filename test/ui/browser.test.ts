// The customer's screen in a real browser (Debian's Chromium driven by playwright-core):
// every screen rendered in French and in Arabic (right to left), clicks turned into actions,
// screenshots saved to docs/screens/ for operators and reviewers.
import t from 'tap';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import QRCode from 'qrcode';
import { silentLogger } from '../../src/log.ts';
import { languages, type CustomerAction, type Language, type ScreenSource, type ScreenState } from '../../src/ui/screen.ts';
import { DEFAULT_PRODUCTS, productsOf } from '../../src/config/products.ts';
import { HINT_KEYS, HINTS, HOLD_STILL } from '../../src/vision/hints.ts';
import { createUiServer } from '../../src/ui/server.ts';
import { chromiumPath, launchChromium } from './chromium.ts';

// `npm run screenshots` refreshes docs/screens/; a plain test run writes to a temp dir.
const shots = process.env.CABINE_SCREENSHOTS === 'docs' ? new URL('../../docs/screens/', import.meta.url).pathname : mkdtempSync(join(tmpdir(), 'cabine-screens-')) + '/';


t.test('every screen, in French and Arabic', { skip: chromiumPath ? false : 'chromium not installed' }, async (t) => {
  mkdirSync(shots, { recursive: true });
  let state: ScreenState = { screen: 'attract', lang: 'fr', priceCents: 800 };
  const listeners = new Set<(s: ScreenState) => void>();
  const actions: CustomerAction[] = [];
  const source: ScreenSource = {
    current: () => state,
    subscribe: (l) => (listeners.add(l), () => listeners.delete(l)),
    act: (a) => actions.push(a),
  };
  const ui = createUiServer({ port: 0, source, logger: silentLogger() });
  await ui.start();
  t.teardown(() => ui.stop());
  const browser = await launchChromium();
  t.teardown(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(ui.url);

  const code = '9CAB7K2MXQ4RZ8TW3HNP5D';
  const qrSvg = await QRCode.toString(code, { type: 'svg', margin: 1 });
  const show = async (next: ScreenState, name: string) => {
    state = next;
    for (const l of listeners) l(next);
    // Page-side expressions as strings: this file is type-checked without the DOM library.
    await page.waitForFunction(`document.body.dataset.screen === ${JSON.stringify(next.screen)}`);
    await page.waitForFunction(`document.documentElement.lang === ${JSON.stringify(next.lang)}`);
    await page.screenshot({ path: `${shots}${name}.png` });
    // Every button the customer can touch is at least 12 mm on the booth's screen (71 px at
    // the ~150 ppi of a 10.1" 1280x800 panel; style.css says why).
    const small = (await page.evaluate(
      `[...document.querySelectorAll('button')].filter((b) => b.offsetParent !== null).map((b) => ({ text: b.textContent, w: b.getBoundingClientRect().width, h: b.getBoundingClientRect().height })).filter((b) => b.w < 71 || b.h < 71)`,
    )) as unknown[];
    t.same(small, [], `${name}: every touch target is at least 12 mm`);
  };
  // The default catalogue, as the booth shows it in each language.
  const productsIn = (lang: Language): NonNullable<ScreenState['products']> =>
    productsOf({ products: DEFAULT_PRODUCTS, payment: { priceCents: 800 } }).map((p) => ({ id: p.id, name: p.name[lang], accepts: p.accepts[lang], priceCents: p.priceCents, delivers: p.delivers, photos: p.sheets * 4 }));
  const products = productsIn('fr');

  for (const lang of ['fr', 'ar'] as const) {
    const base = { lang, priceCents: 800 };
    await show({ ...base, screen: 'attract', products: productsIn(lang) }, `${lang}-1-attract`);
    t.equal(await page.getAttribute('html', 'dir'), lang === 'ar' ? 'rtl' : 'ltr');
    t.equal(await page.locator('button.product').count(), 2, 'one button per product');
    t.match(await page.textContent('button.product[data-product="photo"]'), lang === 'fr' ? /pas pour les démarches en ligne ANTS/ : /ANTS/, 'each with its sentence on the procedures');
    await show({ ...base, screen: 'confirm', chosen: productsIn(lang)[1]! }, `${lang}-1b-confirm`);
    t.match(await page.textContent('#confirm-gets'), lang === 'fr' ? /4 photos d’identité imprimées, sans code/ : /4/, 'the confirmation says what the customer gets');
    t.match(await page.textContent('#confirm-price'), /6[,.]00/);
    await show({ ...base, screen: 'capture', hint: 'face.closer' }, `${lang}-2-capture`);
    t.match(await page.textContent('#capture-hint'), lang === 'fr' ? /Rapprochez-vous/ : /اقترب/);
    await show({ ...base, screen: 'review', retakesLeft: 2, checks: [
      { id: 'face.count', pass: true }, { id: 'face.height', pass: true }, { id: 'mouth.closed', pass: false, hint: 'mouth.close' },
      { id: 'glasses.glare', pass: false, hint: 'glasses.glare' }, { id: 'background.plain', pass: true }, { id: 'sharpness', pass: true },
    ] }, `${lang}-3-review`);
    t.equal(await page.locator('#checks li.fail').count(), 2, 'failed checks marked with a symbol and a word, not colour alone');
    await show({ ...base, screen: 'signature', strokes: [[{ x: 0.1, y: 0.6 }, { x: 0.2, y: 0.3 }, { x: 0.3, y: 0.7 }, { x: 0.45, y: 0.35 }], [{ x: 0.5, y: 0.6 }, { x: 0.8, y: 0.5 }]] }, `${lang}-4-signature`);
    await show({ ...base, screen: 'payment', dueCents: 300, paidCents: 500, noChange: true }, `${lang}-5-payment`);
    t.equal(await page.isVisible('#no-change'), true, '"no change given" shown');
    t.equal(await page.isVisible('#payment-cancel'), false, 'no cancel once money is in');
    await show({ ...base, screen: 'printing', progress: 0.6 }, `${lang}-6-printing`);
    await show({ ...base, screen: 'done', code, qrSvg, expires: '2027-05-23T10:00:00Z' }, `${lang}-7-done`);
    t.equal((await page.textContent('#code'))?.trim(), '9CAB 7K2M XQ4R Z8TW 3HNP 5D', 'code in groups of four');
    await show({ ...base, screen: 'fault', fault: { key: 'fault.paper', refundedCents: 400 } }, `${lang}-8-fault`);
    await show({ ...base, screen: 'signature', timeoutWarning: 12 }, `${lang}-9-timeout-warning`);
    t.equal(await page.isVisible('#timeout'), true);
  }

  // Clicks become actions.
  await show({ screen: 'attract', lang: 'fr', priceCents: 800, products }, 'fr-1-attract');
  await page.click('button.product[data-product="photo"]');
  await page.click('nav button[data-lang="de"]');
  await show({ screen: 'confirm', lang: 'fr', priceCents: 800, chosen: products[1]! }, 'fr-1b-confirm');
  await page.click('button[data-action="confirm"]');
  await new Promise((r) => setTimeout(r, 200));
  t.same(actions, [{ type: 'choose', product: 'photo' }, { type: 'language', lang: 'de' }, { type: 'confirm' }]);

  // High contrast, large text: the customer's toggle makes every text larger, black on white.
  const rootSize = () => page.evaluate(`parseFloat(getComputedStyle(document.documentElement).fontSize)`) as Promise<number>;
  const before = await rootSize();
  await page.click('#large-text');
  t.ok((await rootSize()) >= before * 1.3, 'large text: at least a third larger');
  t.equal(await page.getAttribute('#large-text', 'aria-pressed'), 'true');
  t.equal(await page.evaluate(`getComputedStyle(document.querySelector('button.primary')).backgroundColor`), 'rgb(0, 0, 0)', 'high contrast: black on white');
  await page.screenshot({ path: `${shots}fr-10-large-text.png` });
});

t.test('every hint the code can emit shows as its sentence, in every language, live and on review', { skip: chromiumPath ? false : 'chromium not installed' }, async (t) => {
  let state: ScreenState = { screen: 'attract', lang: 'fr', priceCents: 800 };
  const listeners = new Set<(s: ScreenState) => void>();
  const source: ScreenSource = { current: () => state, subscribe: (l) => (listeners.add(l), () => listeners.delete(l)), act: () => undefined };
  const ui = createUiServer({ port: 0, source, logger: silentLogger() });
  await ui.start();
  t.teardown(() => ui.stop());
  const browser = await launchChromium();
  t.teardown(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(ui.url);
  const hints = [...Object.values(HINTS), HOLD_STILL];
  t.equal(hints.length, HINT_KEYS.length);
  for (const lang of languages) {
    for (const hint of hints) {
      // Live, under the preview.
      state = { screen: 'capture', lang, priceCents: 800, hint: hint.key };
      for (const l of listeners) l(state);
      await page.waitForFunction(`document.documentElement.lang === ${JSON.stringify(lang)} && document.getElementById('capture-hint').textContent === ${JSON.stringify(hint[lang])}`, undefined, { timeout: 5000 }).catch(() => undefined);
      t.equal(await page.textContent('#capture-hint'), hint[lang], `${lang} live: ${hint.key}`);
      // On review, as the failing check's reason.
      state = { screen: 'review', lang, priceCents: 800, retakesLeft: 1, checks: [{ id: 'face.count', pass: false, hint: hint.key }] };
      for (const l of listeners) l(state);
      await page.waitForFunction(`(document.querySelector('#checks li.fail .why') || {}).textContent === ${JSON.stringify(hint[lang])}`, undefined, { timeout: 5000 }).catch(() => undefined);
      t.equal(await page.textContent('#checks li.fail .why'), hint[lang], `${lang} review: ${hint.key}`);
    }
  }
});
