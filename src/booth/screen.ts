// The customer screen's view of the booth: turns the session machine's snapshot (plus the
// live guidance, preview frames and signature ink, which do not go through the journal)
// into the ScreenState the page renders, and the page's actions into machine inputs.
import { readFile } from 'node:fs/promises';
import QRCode from 'qrcode';
import sharp from 'sharp';
import type { SessionInput, SessionSnapshot } from '../flows/session.ts';
import type { Logger } from '../log.ts';
import type { CustomerAction, Language, ProductView, ScreenSource, ScreenState } from '../ui/screen.ts';
import type { Product, ProductEntry } from '../config/products.ts';
import type { VoicePrompts } from '../ui/voice.ts';

export interface LiveGuidance {
  hint: string | null;
  ready: boolean;
}

export interface ScreenFeeds {
  /** Live guidance while capturing. */
  guidance: { subscribe(listener: (g: LiveGuidance) => void): () => void };
  /** Preview JPEG frames while capturing. */
  preview: { subscribe(listener: (jpeg: Buffer) => void): () => void };
  /** Signature ink so far, normalised to 0..1. */
  ink: { subscribe(listener: (strokes: { x: number; y: number }[][]) => void): () => void };
}

export interface MachineView {
  snapshot(): SessionSnapshot;
  subscribe(listener: (snapshot: SessionSnapshot) => void): () => void;
  send(input: SessionInput): void;
}

export interface ScreenAdapterOptions {
  machine: MachineView;
  feeds: ScreenFeeds;
  priceCents: () => number;
  /** The catalogue on sale now, prices resolved (config/products.ts productsOf). */
  products: () => (Product & Pick<ProductEntry, 'name' | 'accepts'>)[];
  /**
   * The photo the customer reviews: the capture cut to the 35x45 photo exactly as it will be
   * printed (vision's crop). Absent or failing: the capture, scaled down.
   */
  reviewPhoto?: (photoFile: string) => Promise<Buffer>;
  /** Whether coins larger than what remains are refused (no hopper to give change): the payment desk's state. */
  noChange: () => boolean;
  /** The payment's coin incident, if acceptor events were lost during it. */
  coinsLost?: () => { incidentId: number } | null;
  /** The card side of the payment (null: no card reader, or it takes no card now). */
  card?: () => { activity: 'idle' | 'authorising' | 'approved' | 'denied' } | null;
  defaultLanguage: Language;
  /** Why the booth cannot sell now (printer out of paper, camera absent...), or null. */
  outOfOrder: () => string | null;
  voice?: VoicePrompts;
  logger: Logger;
  /** How long the end-of-session fault screen stays before the attract screen. */
  faultScreenMs?: number;
  /** How long the confirmation waits for the customer before the attract screen comes back. */
  confirmLapseMs?: number;
  now?: () => number;
}

const sayOnEntry: Partial<Record<ScreenState['screen'], string>> = {
  attract: 'say.welcome',
  capture: 'say.capture',
  signature: 'say.signature',
  payment: 'say.payment',
  printing: 'say.printing',
  done: 'say.done',
};

function faultKey(device: string | undefined, reason: string | null): string {
  if (device === 'printer') return /media|paper/i.test(reason ?? '') ? 'fault.paper' : 'fault.printer';
  if (device === 'camera') return 'fault.camera';
  return 'fault.generic';
}

export function createScreenAdapter(options: ScreenAdapterOptions): ScreenSource & { stop(): void; refresh(): void } {
  const log = options.logger.child({ module: 'screen' });
  const now = options.now ?? Date.now;
  const faultScreenMs = options.faultScreenMs ?? 20_000;
  const confirmLapseMs = options.confirmLapseMs ?? 60_000;
  let lang: Language = options.defaultLanguage;
  let guidance: LiveGuidance = { hint: null, ready: false };
  let strokes: { x: number; y: number }[][] = [];
  const photoUrls = new Map<string, string>();
  const qrSvgs = new Map<string, string>();
  let endedAt = 0;
  /** The product the customer chose on the attract screen, awaiting confirmation. */
  let chosen: string | null = null;
  let chosenAt = 0;
  let lastScreen: ScreenState['screen'] | undefined;
  let state: ScreenState = { screen: 'attract', lang, priceCents: options.priceCents() };
  const listeners = new Set<(s: ScreenState) => void>();

  const screenOf = (s: SessionSnapshot): ScreenState['screen'] => {
    switch (s.step) {
      case 'idle': {
        if (s.lastSession?.outcome === 'fault' && now() - endedAt < faultScreenMs) return 'fault';
        // A refund claim code stays long enough to be written down.
        if (s.lastSession?.outcome === 'undelivered' && now() - endedAt < faultScreenMs * 6) return 'fault';
        if (options.outOfOrder()) return 'fault';
        // A choice left unconfirmed (the customer walked away) lapses.
        if (chosen && now() - chosenAt > confirmLapseMs) chosen = null;
        return chosen && options.products().some((p) => p.id === chosen) ? 'confirm' : 'attract';
      }
      case 'capture':
      case 'validating':
        return 'capture';
      case 'review':
        return 'review';
      case 'signature':
        return 'signature';
      case 'payment':
        return 'payment';
      case 'issuing':
      case 'printing':
      case 'uploading':
      case 'refunding':
        return 'printing';
      case 'done':
        return 'done';
    }
  };

  const compute = (): ScreenState => {
    const s = options.machine.snapshot();
    const screen = screenOf(s);
    const next: ScreenState = { screen, lang, priceCents: options.priceCents() };
    if (screen === 'attract') next.products = options.products().map(view);
    if (screen === 'confirm') {
      const product = options.products().find((p) => p.id === chosen);
      if (product) next.chosen = view(product);
    }
    if (screen === 'capture') {
      if (guidance.hint) next.hint = guidance.hint;
      next.ready = guidance.ready;
    }
    if (screen === 'review') {
      next.checks = (s.checks ?? []).map((c) => ({ id: c.id, pass: c.pass, ...(c.hint ? { hint: c.hint } : {}) }));
      next.retakesLeft = s.retakesLeft;
      next.canAccept = s.canAccept;
      const url = s.photoFile ? photoUrls.get(s.photoFile) : undefined;
      if (url) next.photo = url;
    }
    if (screen === 'signature') next.strokes = strokes;
    if (screen === 'payment') {
      next.dueCents = s.remainingCents;
      next.paidCents = s.paidCents;
      next.noChange = options.noChange();
      const lost = options.coinsLost?.();
      if (lost) next.coinsLost = { incidentId: lost.incidentId };
      const card = options.card?.();
      if (card) next.card = { activity: card.activity };
      if (s.appliedCreditCents > 0) next.storedCreditCents = s.appliedCreditCents;
    }
    if (screen === 'printing') {
      next.progress = s.step === 'issuing' ? 0.2 : s.step === 'printing' ? 0.5 : 0.9;
      if (s.canRefund) next.canRefund = true;
    }
    if (screen === 'done' && s.code) {
      next.code = s.code;
      const svg = qrSvgs.get(s.code);
      if (svg) next.qrSvg = svg;
      if (s.expires) next.expires = s.expires;
    }
    if (screen === 'fault') {
      const last = s.lastSession;
      const fault: NonNullable<ScreenState['fault']> =
        last?.outcome === 'fault' ? { key: faultKey(last.device, last.reason) } : last?.outcome === 'undelivered' ? { key: 'fault.undelivered' } : { key: 'fault.outOfOrder' };
      if (last?.refundedCents) fault.refundedCents = last.refundedCents;
      const refund = last?.outcome === 'undelivered' ? last.refund : undefined;
      if (refund) {
        fault.refund = { paidBackCents: refund.paidBackCents, claimCents: refund.claimCents, claimCode: refund.claimCode, cardReleased: refund.releasedCardCents > 0 };
        next.say = refund.claimCode ? 'say.refund' : 'say.paidBack';
        // Spoken character by character, so it can be written down.
        if (refund.claimCode) next.sayValues = { code: refund.claimCode.replace(/-/g, '').split('').join(' ') };
      }
      next.fault = fault;
    }
    if (s.timeoutWarningSeconds !== null) next.timeoutWarning = s.timeoutWarningSeconds;
    const say = sayOnEntry[screen];
    if (say && !next.say) next.say = say;
    return next;
  };

  const view = (p: Product & Pick<ProductEntry, 'name' | 'accepts'>): ProductView => ({
    id: p.id,
    name: p.name[lang],
    accepts: p.accepts[lang],
    priceCents: p.priceCents,
    delivers: p.delivers,
    photos: p.sheets * 4,
  });

  let stopped = false;
  const publish = () => {
    // A thumbnail or QR code prepared while the booth was stopping: its parts may be closed.
    if (stopped) return;
    let next = compute();
    if (next.screen === 'attract' && lastScreen !== undefined && lastScreen !== 'attract' && lang !== options.defaultLanguage) {
      // The next customer starts in the booth's language.
      lang = options.defaultLanguage;
      next = compute();
    }
    if (next.screen !== lastScreen) {
      if (next.screen === 'signature' || lastScreen === 'signature') strokes = [];
      if (next.say && options.voice) void options.voice.say(lang, next.say, next.sayValues);
      lastScreen = next.screen;
    }
    state = next;
    for (const listener of listeners) listener(state);
  };

  // Side data the snapshot points at (photo thumbnail, QR code) is prepared asynchronously.
  const prepare = async (s: SessionSnapshot) => {
    if (s.step === 'idle' && s.lastSession && endedAt === 0) endedAt = now();
    if (s.step !== 'idle') endedAt = 0;
    else {
      // The session is over: its thumbnail and QR code are not kept in memory.
      photoUrls.clear();
      qrSvgs.clear();
    }
    if (s.photoFile && !photoUrls.has(s.photoFile)) {
      const file = s.photoFile;
      const crop = options.reviewPhoto ? await options.reviewPhoto(file).catch((err: unknown) => log.warn({ err }, 'review crop unavailable: showing the capture')) : undefined;
      const shown = crop ?? (await sharp(await readFile(file)).resize({ width: 480 }).jpeg({ quality: 85 }).toBuffer());
      photoUrls.clear();
      photoUrls.set(file, `data:image/jpeg;base64,${shown.toString('base64')}`);
    }
    if (s.code && !qrSvgs.has(s.code)) {
      qrSvgs.clear();
      qrSvgs.set(s.code, await QRCode.toString(s.code, { type: 'svg', margin: 1, errorCorrectionLevel: 'M' }));
    }
  };

  const unsubscribers = [
    options.machine.subscribe((s) => {
      publish();
      prepare(s).then(publish, (err: unknown) => log.warn({ err }, 'screen data unavailable'));
    }),
    options.feeds.guidance.subscribe((g) => {
      guidance = g;
      if (state.screen === 'capture') publish();
    }),
    options.feeds.ink.subscribe((ink) => {
      strokes = ink;
      if (state.screen === 'signature') publish();
    }),
  ];
  // The fault screen gives way to the attract screen by itself; out-of-order changes too.
  const ticker = setInterval(() => {
    const next = compute();
    if (next.screen !== state.screen) publish();
  }, 1000);
  ticker.unref();
  publish();

  const inputs: Record<Exclude<CustomerAction['type'], 'language' | 'start' | 'choose' | 'confirm' | 'back'>, SessionInput> = {
    'accept-photo': { type: 'ACCEPT' },
    retake: { type: 'RETAKE' },
    'signature-clear': { type: 'SIGNATURE_CLEAR' },
    'signature-done': { type: 'SIGNATURE_DONE' },
    cancel: { type: 'CANCEL' },
    'still-here': { type: 'STILL_HERE' },
    finish: { type: 'FINISH' },
    refund: { type: 'REFUND' },
  };

  return {
    current: () => state,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    subscribePreview: (listener) => options.feeds.preview.subscribe(listener),
    act(action) {
      if (action.type === 'language') {
        lang = action.lang;
        publish();
        return;
      }
      // Choosing a product and confirming happen before any session: nothing is journaled
      // until the customer said yes (START names the product).
      if (action.type === 'start' || action.type === 'choose') {
        const id = action.type === 'start' ? options.products()[0]?.id : action.product;
        if (options.machine.snapshot().step !== 'idle' || !options.products().some((p) => p.id === id)) return;
        chosen = id ?? null;
        chosenAt = now();
        publish();
        return;
      }
      if (action.type === 'back') {
        chosen = null;
        publish();
        return;
      }
      if (action.type === 'confirm') {
        if (!chosen || state.screen !== 'confirm') return;
        const product = chosen;
        chosen = null;
        options.machine.send({ type: 'START', product });
        return;
      }
      options.machine.send(inputs[action.type]);
    },
    refresh: publish,
    stop() {
      stopped = true;
      clearInterval(ticker);
      for (const u of unsubscribers) u();
    },
  };
}
