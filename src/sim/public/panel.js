// The simulator panel's page: polls the devices' state, posts actions (JSON, same origin).
const $ = (id) => document.getElementById(id);
let boardId = null;

async function post(action) {
  const response = await fetch('/sim/action', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(action) });
  const body = await response.json().catch(() => ({}));
  if (action.type !== 'pen') $('message').textContent = response.ok ? body.message : `Refused: ${body.error ?? response.status}`;
  refresh();
  return response.ok;
}

const euros = (cents) => new Intl.NumberFormat('fr-FR', { style: 'currency', currency: 'EUR' }).format(cents / 100);

function chip(label, action, pressed) {
  const button = document.createElement('button');
  button.textContent = label;
  button.dataset.action = JSON.stringify(action);
  if (pressed !== undefined) button.setAttribute('aria-pressed', String(pressed));
  return button;
}

function render(s) {
  $('step').textContent = s.step;
  $('curtain-state').textContent = s.curtain;
  $('camera-current').textContent = s.camera.current ?? 'nothing';
  const photos = $('photos');
  if (photos.dataset.list !== s.camera.photos.join()) {
    photos.dataset.list = s.camera.photos.join();
    photos.replaceChildren(...s.camera.photos.map((photo) => chip(photo.replace(/\.\w+$/, ''), { type: 'camera', photo })));
  }
  for (const button of photos.children) button.setAttribute('aria-pressed', String(JSON.parse(button.dataset.action).photo === s.camera.current));

  const coins = $('coins');
  if (!coins.children.length) coins.replaceChildren(...s.coins.map((c) => chip(c.foreign ? `${c.id} (foreign)` : euros(c.cents), { type: 'coin', coin: c.id })));
  const a = s.acceptor;
  $('acceptor-state').textContent = !a.available
    ? 'on a serial port, not simulated here'
    : `${a.jammed ? 'JAMMED, ' : ''}${a.enabled && a.inhibitMask ? 'accepting coins' : 'inhibited (not asking for money)'} · ${euros(a.acceptedCents)} accepted · ${a.rejected} refused · ${a.health}${a.detail ? ` (${a.detail})` : ''}`;
  $('last-coin').textContent = s.lastCoin ? `Last coin ${s.lastCoin.coin}: ${s.lastCoin.result}${s.lastCoin.why ? ` (${s.lastCoin.why})` : ''}` : '';
  $('last-coin').className = s.lastCoin ? (s.lastCoin.result === 'accepted' ? 'ok' : 'bad') : '';

  $('card-box').hidden = !s.card;
  if (s.card) {
    $('card-state').textContent = `${s.card.state}${s.card.enabled ? ' (taking cards)' : ''} · ${euros(s.card.chargedCents)} charged (${s.card.charges}) · ${s.card.denied} declined · ${s.card.voided} released`;
    $('last-tap').textContent = s.card.lastTap ? `Last tap: ${s.card.lastTap}` : '';
  }
  $('scans').textContent = String(s.pen.scans);

  const p = s.printer;
  $('printer-state').textContent = !p.simulated ? `real printer: ${p.health}` : `${p.condition} · ${p.ready ? 'ready' : p.reason}`;
  $('printer-state').className = p.ready ? 'ok' : 'bad';
  $('printer-supplies').textContent = p.supplies ? `paper ${p.supplies.paper}/${p.supplies.paperCapacity} sheets · ribbon ${p.supplies.ribbon}/${p.supplies.ribbonCapacity} prints` : '';
  $('broker-box').hidden = !s.broker;
  if (s.broker) $('broker-state').textContent = !s.broker.configured ? 'no broker configured (fleet.url)' : `${s.broker.cut ? 'cut' : 'up'} · ${s.broker.connected ? 'connected' : 'not connected'}`;

  if (s.board && s.board.id !== boardId) {
    boardId = s.board.id;
    $('board').src = s.board.url;
    $('board').hidden = false;
    $('board-none').hidden = true;
  }
}

async function refresh() {
  try {
    const response = await fetch('/sim/state');
    if (response.ok) render(await response.json());
  } catch {
    $('message').textContent = 'The booth does not answer (restarting?)';
  }
}

document.addEventListener('click', (event) => {
  const button = event.target.closest('button');
  if (!button) return;
  if (button.dataset.action) return void post(JSON.parse(button.dataset.action));
  const act = button.dataset.act;
  if (act === 'curtain') post({ type: 'curtain', position: button.dataset.position });
  else if (act === 'camera-next') post({ type: 'camera-next' });
  else if (act === 'printer') post({ type: 'printer', condition: button.dataset.condition });
  else if (act === 'printer-refill') post({ type: 'printer-refill', supply: button.dataset.supply });
  else if (act === 'broker') post({ type: 'broker', link: button.dataset.link });
  else if (act === 'card') post({ type: 'card', decision: button.dataset.decision });
  else if (act === 'card-cancel') post({ type: 'card-cancel' });
});

// The signature pad: pointer strokes, sent in order in small batches; the booth plays them
// into the touch controller at its scan rate.
const pad = $('pad');
const ink = pad.getContext('2d');
let pending = [];
let sending = Promise.resolve();
let down = false;
let last = 0;
const at = (event) => {
  const box = pad.getBoundingClientRect();
  return { x: Math.min(1, Math.max(0, (event.clientX - box.left) / box.width)), y: Math.min(1, Math.max(0, (event.clientY - box.top) / box.height)) };
};
function flush() {
  if (!pending.length) return;
  const points = pending;
  pending = [];
  sending = sending.then(() => post({ type: 'pen', points })).catch(() => undefined);
}
function queue(event, p) {
  pending.push({ event, ...p });
  if (event === 'up' || pending.length >= 20) flush();
}
pad.addEventListener('pointerdown', (event) => {
  pad.setPointerCapture(event.pointerId);
  down = true;
  const p = at(event);
  ink.beginPath();
  ink.lineWidth = 4;
  ink.lineCap = 'round';
  ink.moveTo(p.x * pad.width, p.y * pad.height);
  queue('down', p);
});
pad.addEventListener('pointermove', (event) => {
  if (!down || performance.now() - last < 10) return; // the chip scans at 100 Hz
  last = performance.now();
  const p = at(event);
  ink.lineTo(p.x * pad.width, p.y * pad.height);
  ink.stroke();
  queue('contact', p);
});
const lift = (event) => {
  if (!down) return;
  down = false;
  queue('up', at(event));
};
pad.addEventListener('pointerup', lift);
pad.addEventListener('pointercancel', lift);
setInterval(flush, 50);
$('pad-clear').addEventListener('click', () => ink.clearRect(0, 0, pad.width, pad.height));

// The customer's screen is laid out for its 1280x800 display: shown whole, scaled down.
const fitScreen = () => {
  $('screen').style.transform = `scale(${$('screen-box').clientWidth / 1280})`;
};
window.addEventListener('resize', fitScreen);
fitScreen();

refresh();
setInterval(refresh, 400);
