// The customer's screen: renders the ScreenState pushed by the booth over a WebSocket and
// sends back the customer's actions. No framework: a Pi renders this instantly.
const $ = (id) => document.getElementById(id);
let state = null;
let catalogue = { messages: {}, dir: 'ltr', names: {} };
let socket = null;
let previewUrl = null;
let lastSaid = null;

const t = (key, values = {}) =>
  (catalogue.messages[key] ?? key).replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ''));

function euros(cents) {
  const locale = { fr: 'fr-FR', en: 'en-IE', es: 'es-ES', de: 'de-DE', ar: 'ar-TN' }[catalogue.lang] ?? 'fr-FR';
  return new Intl.NumberFormat(locale, { style: 'currency', currency: 'EUR' }).format((cents ?? 0) / 100);
}

async function loadLanguage(lang) {
  if (catalogue.lang === lang) return;
  const response = await fetch(`/i18n/${lang}.json`);
  catalogue = await response.json();
  document.documentElement.lang = lang;
  document.documentElement.dir = catalogue.dir;
  const nav = $('languages');
  nav.replaceChildren(
    ...Object.entries(catalogue.names).map(([code, name]) => {
      const button = document.createElement('button');
      button.textContent = name;
      button.lang = code;
      button.dataset.lang = code;
      return button;
    }),
  );
}

function hintText(key) {
  return key ? t(key.startsWith('hint.') ? key : `hint.${key}`) : '';
}

function drawSignature(strokes) {
  const canvas = $('signature-canvas');
  const ctx = canvas.getContext('2d');
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  ctx.lineWidth = 4;
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
  ctx.strokeStyle = '#111';
  for (const stroke of strokes ?? []) {
    ctx.beginPath();
    stroke.forEach((p, i) => (i ? ctx.lineTo(p.x * canvas.width, p.y * canvas.height) : ctx.moveTo(p.x * canvas.width, p.y * canvas.height)));
    ctx.stroke();
  }
}

// High-contrast, large-text mode: the customer's choice, kept until the session ends.
function setLargeText(on) {
  document.documentElement.classList.toggle('large', on);
  $('large-text').setAttribute('aria-pressed', String(on));
}

async function render(next) {
  if (state && state.screen !== 'attract' && state.screen !== 'confirm' && next.screen === 'attract') setLargeText(false);
  state = next;
  await loadLanguage(state.lang);
  for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const button of document.querySelectorAll('nav button')) button.setAttribute('aria-pressed', String(button.dataset.lang === state.lang));
  for (const section of document.querySelectorAll('.screen')) section.classList.toggle('active', section.id === state.screen);
  document.body.dataset.screen = state.screen;

  if (state.screen === 'attract') {
    // One button per product: its name, its price and the sentence on which procedures accept it.
    $('products').replaceChildren(
      ...(state.products ?? []).map((product) => {
        const button = document.createElement('button');
        button.className = 'product';
        button.dataset.action = 'choose';
        button.dataset.product = product.id;
        const name = document.createElement('strong');
        name.textContent = product.name;
        const price = document.createElement('span');
        price.className = 'product-price';
        price.textContent = euros(product.priceCents);
        const accepts = document.createElement('span');
        accepts.className = 'product-accepts';
        accepts.textContent = product.accepts;
        button.append(name, price, accepts);
        return button;
      }),
    );
  }

  if (state.screen === 'confirm' && state.chosen) {
    const chosen = state.chosen;
    $('confirm-name').textContent = chosen.name;
    $('confirm-gets').textContent = t(chosen.delivers === 'ephoto' ? 'confirm.ephoto' : 'confirm.prints', { photos: chosen.photos });
    $('confirm-accepts').textContent = chosen.accepts;
    $('confirm-price').textContent = t('confirm.price', { price: euros(chosen.priceCents) });
  }

  $('capture').classList.toggle('ready', Boolean(state.ready));
  $('capture-hint').textContent = state.ready ? t('hint.guidance.hold') : hintText(state.hint);

  if (state.screen === 'review') {
    const failed = (state.checks ?? []).filter((c) => !c.pass);
    $('review-title').textContent = failed.length ? t('review.title') : t('review.ok');
    if (state.photo) $('review-photo').src = state.photo;
    // Failed checks first, each with what to do; then what passed.
    const ordered = [...failed, ...(state.checks ?? []).filter((c) => c.pass)];
    $('checks').replaceChildren(
      ...ordered.map((check) => {
        const li = document.createElement('li');
        li.className = check.pass ? 'pass' : 'fail';
        li.textContent = t(`check.${check.id}`);
        if (!check.pass) {
          const why = document.createElement('span');
          why.className = 'why';
          why.textContent = hintText(check.hint);
          li.append(why);
        }
        return li;
      }),
    );
    const left = state.retakesLeft ?? 0;
    $('accept').hidden = !state.canAccept;
    $('retakes').textContent = state.canAccept ? '' : left > 0 ? t('review.retakesLeft', { n: left }) : t('review.noRetakes');
    $('retake').hidden = left <= 0 || Boolean(state.canAccept);
  }

  if (state.screen === 'signature') drawSignature(state.strokes);

  if (state.screen === 'payment') {
    $('due').textContent = t('payment.due', { amount: euros(state.dueCents) });
    $('paid').textContent = t('payment.paid', { amount: euros(state.paidCents) });
    $('stored-credit').textContent = state.storedCreditCents ? t('payment.storedCredit', { amount: euros(state.storedCreditCents) }) : '';
    $('no-change').hidden = !state.noChange;
    $('coins-lost').hidden = !state.coinsLost;
    $('coins-lost').textContent = state.coinsLost ? t('payment.coinsLost', { incident: state.coinsLost.incidentId }) : '';
    $('payment-cancel').hidden = (state.paidCents ?? 0) > 0;
    const card = state.card?.activity;
    $('payment-card').hidden = !state.card;
    $('payment-card-status').textContent = card === 'authorising' ? t('payment.cardAuthorising') : card === 'denied' ? t('payment.cardDenied') : '';
  }

  if (state.screen === 'printing') {
    $('progress').value = state.progress ?? 0;
    $('printing-refund').hidden = !state.canRefund;
  }

  if (state.screen === 'done') {
    $('code').textContent = (state.code ?? '').replace(/(.{4})(?=.)/g, '$1 ');
    $('qr').innerHTML = state.qrSvg ?? '';
    $('expires').textContent = state.expires ? t('done.expires', { date: new Date(state.expires).toLocaleDateString(document.documentElement.lang) }) : '';
  }

  if (state.screen === 'fault') {
    $('fault-title').textContent = t(state.fault?.key ?? 'fault.generic');
    $('fault-refund').textContent = state.fault?.refundedCents ? t('fault.refunded', { amount: euros(state.fault.refundedCents) }) : '';
    const refund = state.fault?.refund;
    $('fault-paid-back').textContent = refund?.paidBackCents ? t('fault.paidBack', { amount: euros(refund.paidBackCents) }) : '';
    $('fault-claim').textContent = refund?.claimCode ? t('fault.claim', { amount: euros(refund.claimCents), code: refund.claimCode }) : '';
    $('fault-claim-how').hidden = !refund?.claimCode;
    $('fault-card').hidden = !refund?.cardReleased;
  }

  const warning = state.timeoutWarning;
  $('timeout').hidden = warning === undefined;
  if (warning !== undefined) $('timeout-text').textContent = t('timeout.warning', { seconds: warning });

  if (state.say && state.say !== lastSaid) $('subtitle').textContent = t(state.say, state.sayValues ?? {});
  lastSaid = state.say ?? lastSaid;
}

function act(action) {
  if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify(action));
}

document.addEventListener('click', (event) => {
  const target = event.target.closest('button');
  if (!target) return;
  if (target.id === 'large-text') setLargeText(!document.documentElement.classList.contains('large'));
  else if (target.dataset.lang) act({ type: 'language', lang: target.dataset.lang });
  else if (target.dataset.action === 'choose') act({ type: 'choose', product: target.dataset.product });
  else if (target.dataset.action) act({ type: target.dataset.action });
});

function connect() {
  socket = new WebSocket(`ws://${location.host}/ws`);
  socket.binaryType = 'blob';
  socket.onmessage = (event) => {
    if (typeof event.data !== 'string') {
      // A live preview frame (JPEG).
      if (previewUrl) URL.revokeObjectURL(previewUrl);
      previewUrl = URL.createObjectURL(event.data);
      $('preview').src = previewUrl;
      return;
    }
    const message = JSON.parse(event.data);
    if (message.type === 'state') render(message.state);
  };
  // The booth restarts (update, power cut): reconnect until it is back.
  socket.onclose = () => setTimeout(connect, 1000);
}
connect();
