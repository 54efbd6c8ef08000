// A person's whole session on the running simulated booth, in Chromium, through the simulator
// panel (/sim) and the customer's screen, as someone evaluating Cabine on `npm start` would:
// a coin while nothing is due, the curtain, a refused sitter (a beanie) with its precise hint,
// a retake with a compliant sitter, a signature drawn with the mouse on the panel's pad (it
// reaches the booth through the FT6236 register model), a declined card, a foreign coin, euro coins, the code
// on the screen and the printed board in the panel. Meanwhile every text the screen shows is
// scanned: no raw message key may ever appear. Screenshots go to docs/screens/panel-* and
// docs/screens/screen-* with `npm run screenshots`.
import t from 'tap';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { buildBooth } from '../../src/booth/compose.ts';
import { loadConfig } from '../../src/config/load.ts';
import { silentLogger } from '../../src/log.ts';
import { HINTS } from '../../src/vision/hints.ts';
import { chromiumPath, launchChromium } from './chromium.ts';

const shots = process.env.CABINE_SCREENSHOTS === 'docs' ? new URL('../../docs/screens/', import.meta.url).pathname : mkdtempSync(join(tmpdir(), 'cabine-screens-')) + '/';

// Message keys look like `hint.face.closer`, `review.title`, `check.headwear`: a word, a dot, a word.
const rawKeyWatcher = `
  window.__rawKeys = [];
  const scan = () => {
    const text = document.body ? document.body.innerText : '';
    for (const m of text.matchAll(/\\b(?:hint|check|say|fault|attract|capture|review|signature|payment|printing|done|timeout|closed|lang|guidance)\\.[a-z][\\w.-]*/g)) window.__rawKeys.push(m[0]);
  };
  new MutationObserver(scan).observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
  setInterval(scan, 100);
`;

t.test('a person plays a whole session through the panel and the screen', { skip: chromiumPath ? false : 'chromium not installed' }, async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cabine-panel-'));
  const config = loadConfig({ env: {}, overrides: { 'hal.simulated': true, 'data.dir': dataDir, 'ui.port': 0, 'ui.voice': false } });
  const booth = await buildBooth(config, silentLogger(), { control: false });
  await booth.start();
  t.teardown(() => booth.stop());
  t.equal(booth.unavailable(), null, 'the booth sells');

  const browser = await launchChromium();
  t.teardown(() => browser.close());
  const screen = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await screen.addInitScript(rawKeyWatcher);
  await screen.goto(booth.uiUrl());
  const panel = await browser.newPage({ viewport: { width: 1400, height: 1500 } });
  await panel.goto(`${booth.uiUrl()}sim`);

  const onScreen = (name: string, timeout = 60_000) => screen.waitForFunction(`document.body.dataset.screen === ${JSON.stringify(name)}`, undefined, { timeout });
  const panelSays = (id: string, pattern: RegExp) =>
    panel.waitForFunction(`${pattern.toString()}.test(document.getElementById(${JSON.stringify(id)}).textContent)`, undefined, { timeout: 30_000 });
  const shot = (page: Page, name: string) => page.screenshot({ path: `${shots}${name}.png` });

  // Positive control: the watcher sees a key when one is shown.
  await screen.evaluate(`(() => { const p = document.createElement('p'); p.id = 'control'; p.textContent = 'hint.positive.control'; document.body.append(p); })()`);
  await screen.waitForFunction(`window.__rawKeys.includes('hint.positive.control')`);
  await screen.evaluate(`(() => { document.getElementById('control').remove(); window.__rawKeys = []; })()`);

  // The camera starts on a compliant sitter.
  await panelSays('camera-current', /london-004/);
  await onScreen('attract');

  // A coin while the booth asks for nothing: the acceptor is inhibited and gives it back.
  await panel.click('#coins button:has-text("2,00")');
  await panelSays('last-coin', /EU200A: rejected \(the acceptor is inhibited/);

  // A faulty sitter, then the curtain.
  await panel.click('#photos button:has-text("refused-beanie")');
  await panelSays('camera-current', /refused-beanie/);
  await panel.click('button[data-act="curtain"][data-position="drawn"]');
  await panelSays('curtain-state', /drawn/);
  // Two products on sale: the customer chooses the e-photo and confirms.
  await screen.click('button.product[data-product="ephoto"]');
  await onScreen('confirm');
  await screen.click('button[data-action="confirm"]');
  await onScreen('capture');
  await onScreen('review');
  await screen.waitForFunction(`document.querySelectorAll('#checks li.fail').length > 0`);
  t.equal(await screen.textContent('#review-title'), 'Cette photo ne sera pas acceptée', 'the photo is refused');
  t.match(await screen.textContent('#checks li.fail'), HINTS.headwear.fr, 'with the precise hint of the failing check');
  t.equal(await screen.isVisible('#accept'), false, 'a refused e-photo cannot be kept');
  await shot(screen, 'screen-1-refused');
  await shot(panel, 'panel-1-refused');

  // The sitter takes the beanie off: a compliant sitter, and a retake.
  await panel.click('#photos button:has-text("london-004")');
  await panelSays('camera-current', /london-004/);
  await screen.click('#retake');
  await onScreen('capture');
  await onScreen('review');
  await screen.waitForFunction(`document.getElementById('review-title').textContent === 'Photo conforme'`);
  t.equal(await screen.locator('#checks li.fail').count(), 0, 'every check passes');
  await screen.click('#accept');

  // The signature, drawn with the mouse on the panel's pad.
  await onScreen('signature');
  const pad = (await panel.locator('#pad').boundingBox())!;
  const strokes = [
    [[0.12, 0.7], [0.18, 0.3], [0.24, 0.65], [0.3, 0.3], [0.36, 0.7]],
    [[0.42, 0.55], [0.5, 0.4], [0.58, 0.6], [0.66, 0.35], [0.74, 0.6], [0.85, 0.5]],
  ];
  for (const stroke of strokes) {
    const [x0, y0] = stroke[0]!;
    await panel.mouse.move(pad.x + x0! * pad.width, pad.y + y0! * pad.height);
    await panel.mouse.down();
    for (const [x, y] of stroke.slice(1)) await panel.mouse.move(pad.x + x! * pad.width, pad.y + y! * pad.height, { steps: 8 });
    await panel.mouse.up();
  }
  // The ink comes back from the booth's touch driver to the screen.
  await screen.waitForFunction(
    `(() => { const c = document.getElementById('signature-canvas'); const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n > 500; })()`,
    undefined,
    { timeout: 30_000 },
  );
  const ink = booth.screen.current().strokes ?? [];
  t.equal(ink.length, strokes.length, 'two strokes read from the touch controller');
  t.ok(Number(await panel.textContent('#scans')) > 20, 'the pen went through the register model scan by scan');
  await shot(screen, 'screen-2-signature');
  await shot(panel, 'panel-2-signature');
  await screen.click('button[data-action="signature-done"]');

  // Payment: a declined card, a foreign coin refused, euro coins taken.
  await onScreen('payment');
  await panelSays('card-state', /taking cards/);
  await panel.click('button[data-act="card"][data-decision="deny"]');
  await panelSays('card-state', /1 declined/);
  await panelSays('acceptor-state', /accepting coins/);
  await panel.click('#coins button:has-text("GB100A")');
  await panelSays('last-coin', /GB100A: rejected \(a foreign coin/);
  for (let i = 0; i < 4; i++) {
    await panel.click('#coins button:has-text("2,00")');
    await panelSays('last-coin', /EU200A: accepted/);
    await panel.evaluate(`document.getElementById('last-coin').textContent = ''`);
  }

  // The code on the screen; the board in the panel.
  await onScreen('done', 90_000);
  await screen.waitForFunction(`document.getElementById('code').textContent.trim().length > 0`);
  t.equal((await screen.textContent('#code'))?.replace(/\s/g, ''), booth.machine.snapshot().code, 'the code on screen is the session code');
  await panel.waitForFunction(`(() => { const img = document.getElementById('board'); return !img.hidden && img.complete && img.naturalWidth > 1000; })()`, undefined, { timeout: 60_000 });
  t.pass('the printed board is shown in the panel');
  await shot(screen, 'screen-3-done');
  await shot(panel, 'panel-3-board');
  await screen.click('button[data-action="finish"]');
  await onScreen('attract');

  const rawKeys = (await screen.evaluate('window.__rawKeys')) as string[];
  t.same([...new Set(rawKeys)], [], 'no raw message key ever reached the screen');
});
