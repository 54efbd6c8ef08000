// Turning the controller's scan reports into pen strokes: contacts tracked by touch id
// (down / move / up, and lifts the controller never reported), jitter and single-sample
// spikes removed, palms rejected. Pure logic with no I/O, so it is tested sample by sample.
// Written by hand: no library does touch-contact tracking at this level.
//
// The rules (docs/hardware.md, "Touch panel"):
// - jitter: a sample closer than `jitter` units to the last kept point of its stroke is
//   dropped (a resting pen wanders by a unit or two);
// - spike: a sample whose step from the last kept point is both longer than
//   max(spikeMin, spikeFactor x the stroke's median step) and undone by the next sample
//   (the next one lands back near the previous point) is dropped; the last sample of a stroke,
//   which has no next one, is dropped when its step alone is that long (lift-off garbage);
// - noise contact: a contact seen in a single scan is not a stroke (a real touch, even a dot,
//   lasts several scans);
// - palm by size: a contact whose reported area or weight reaches `palmArea` / `palmWeight`
//   is a palm, never ink (0 disables the rule: many panels report 0 for both);
// - one pen: when two contacts are down at once, only one is ink. The other is the hand
//   (or a finger) resting: the larger area loses, then the one that moved less while both
//   were down, then the larger weight, then the one that came later. The deferred contact's
//   points are held until the decision, and a stroke already drawn that loses is cancelled.
import type { RawTouchPoint } from './ft6236.ts';

export interface StrokePoint {
  x: number;
  y: number;
  /** Milliseconds since the signature began. */
  t: number;
}

export interface Stroke {
  id: number;
  points: StrokePoint[];
}

export interface StrokeFilterOptions {
  /** Movements shorter than this (controller units) are jitter. */
  jitter: number;
  /** A spike's step is at least this long (controller units). */
  spikeMin: number;
  /** ... and at least this many times the stroke's median step. */
  spikeFactor: number;
  /** Reported area (0-15) at or above which a contact is a palm; 0 = rule off. */
  palmArea: number;
  /** Reported weight (0-255) at or above which a contact is a palm; 0 = rule off. */
  palmWeight: number;
}

export interface StrokeSink {
  /** A point drawn live (the screen draws it at once). */
  point(strokeId: number, point: StrokePoint): void;
  /** A finished stroke, kept in the signature. */
  stroke(stroke: Stroke): void;
  /** A stroke whose live points were shown is rejected (palm, noise): the screen removes it. */
  cancel(strokeId: number, reason: string): void;
}

/** Defaults for a panel of the given size (units): spikes must cross at least 3 % of its diagonal. */
export function defaultFilterOptions(width: number, height: number): StrokeFilterOptions {
  return { jitter: 2, spikeMin: Math.max(8, 0.03 * Math.hypot(width, height)), spikeFactor: 4, palmArea: 0, palmWeight: 0 };
}

interface Contact {
  touchId: number;
  strokeId: number;
  started: number;
  scans: number;
  kept: StrokePoint[];
  pending: StrokePoint | undefined;
  /** Points kept but not yet shown (held while another contact is the ink). */
  unshown: StrokePoint[];
  shown: boolean;
  held: boolean;
  palm: string | undefined;
  maxArea: number;
  maxWeight: number;
  /** Distance moved since another contact came down (for the one-pen decision). */
  overlapMove: number;
  last: StrokePoint | undefined;
}

const dist = (a: { x: number; y: number }, b: { x: number; y: number }) => Math.hypot(a.x - b.x, a.y - b.y);

function median(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export class StrokeAssembler {
  private readonly contacts = new Map<number, Contact>();
  private readonly done: Stroke[] = [];
  private nextStrokeId = 1;
  private order = 0;

  constructor(
    private readonly options: StrokeFilterOptions,
    private readonly sink: StrokeSink,
  ) {}

  /** Finished strokes, in the order they ended. */
  strokes(): Stroke[] {
    return this.done.map((s) => ({ id: s.id, points: s.points.map((p) => ({ ...p })) }));
  }

  /** Contacts currently down. */
  active(): number {
    return this.contacts.size;
  }

  /** Forgets every contact and stroke (a new signature begins). */
  reset(): void {
    this.contacts.clear();
    this.done.length = 0;
  }

  /** Forgets the strokes (the customer pressed "clear"); contacts down stay ignored until lifted. */
  clear(): void {
    for (const contact of this.contacts.values()) contact.palm ??= 'cleared';
    this.done.length = 0;
  }

  /** One scan report at time `t` (ms): the contacts the controller saw in that scan. */
  feed(points: readonly RawTouchPoint[], t: number): void {
    const seen = new Set<number>();
    for (const p of points) {
      if (p.event === 'none') continue;
      seen.add(p.id);
      let contact = this.contacts.get(p.id);
      if (contact && p.event === 'down' && contact.scans > 0) {
        // A new press on an id we still track: the lift in between was missed.
        this.finish(contact);
        contact = undefined;
      }
      contact ??= this.begin(p.id);
      this.sample(contact, p, t);
      if (p.event === 'up') this.finish(contact);
    }
    // Contacts the controller stopped reporting have lifted (the "up" report was missed).
    for (const contact of [...this.contacts.values()]) if (!seen.has(contact.touchId)) this.finish(contact);
  }

  /** Ends every contact still down (the signature is done). */
  flush(): void {
    for (const contact of [...this.contacts.values()]) this.finish(contact);
  }

  private begin(touchId: number): Contact {
    const others = [...this.contacts.values()].filter((c) => !c.palm);
    const contact: Contact = {
      touchId,
      strokeId: this.nextStrokeId++,
      started: this.order++,
      scans: 0,
      kept: [],
      pending: undefined,
      unshown: [],
      shown: false,
      held: others.length > 0,
      palm: undefined,
      maxArea: 0,
      maxWeight: 0,
      overlapMove: 0,
      last: undefined,
    };
    for (const other of others) other.overlapMove = 0;
    this.contacts.set(touchId, contact);
    return contact;
  }

  private sample(contact: Contact, p: RawTouchPoint, t: number): void {
    contact.scans++;
    contact.maxArea = Math.max(contact.maxArea, p.area);
    contact.maxWeight = Math.max(contact.maxWeight, p.weight);
    const point: StrokePoint = { x: p.x, y: p.y, t };
    if (contact.last) contact.overlapMove += dist(contact.last, point);
    contact.last = point;
    if (contact.palm) return;
    const { palmArea, palmWeight } = this.options;
    if ((palmArea > 0 && p.area >= palmArea) || (palmWeight > 0 && p.weight >= palmWeight)) {
      this.reject(contact, `palm (area ${p.area}, weight ${p.weight})`);
      return;
    }
    const last = contact.kept[contact.kept.length - 1];
    if (!last) {
      this.keep(contact, point);
      return;
    }
    const pending = contact.pending;
    if (pending) {
      contact.pending = undefined;
      if (!this.isSpike(contact, last, pending, point)) this.keep(contact, pending);
    }
    const anchor = contact.kept[contact.kept.length - 1]!;
    if (dist(anchor, point) < this.options.jitter) return;
    contact.pending = point;
  }

  private spikeStep(contact: Contact): number {
    const steps: number[] = [];
    const kept = contact.kept;
    for (let i = Math.max(1, kept.length - 8); i < kept.length; i++) steps.push(dist(kept[i - 1]!, kept[i]!));
    return Math.max(this.options.spikeMin, this.options.spikeFactor * median(steps));
  }

  private isSpike(contact: Contact, a: StrokePoint, b: StrokePoint, c: StrokePoint | undefined): boolean {
    const limit = this.spikeStep(contact);
    const out = dist(a, b);
    if (out <= limit) return false;
    if (!c) return true;
    return dist(b, c) > limit && dist(a, c) < Math.min(out, dist(b, c)) / 2;
  }

  private keep(contact: Contact, point: StrokePoint): void {
    contact.kept.push(point);
    if (contact.held) contact.unshown.push(point);
    else this.show(contact, point);
  }

  private show(contact: Contact, point: StrokePoint): void {
    contact.shown = true;
    this.sink.point(contact.strokeId, point);
  }

  private reject(contact: Contact, reason: string): void {
    contact.palm = reason;
    contact.pending = undefined;
    if (contact.shown) this.sink.cancel(contact.strokeId, reason);
    contact.shown = false;
    contact.unshown = [];
  }

  /** Of two contacts down at once, the one that is not the pen. */
  private loser(a: Contact, b: Contact): Contact {
    if (a.maxArea !== b.maxArea) return a.maxArea > b.maxArea ? a : b;
    const moved = Math.abs(a.overlapMove - b.overlapMove);
    if (moved >= this.options.jitter) return a.overlapMove < b.overlapMove ? a : b;
    if (a.maxWeight !== b.maxWeight) return a.maxWeight > b.maxWeight ? a : b;
    return a.started > b.started ? a : b;
  }

  private finish(contact: Contact): void {
    this.contacts.delete(contact.touchId);
    if (!contact.palm) {
      for (const other of this.contacts.values()) {
        if (other.palm) continue;
        const loser = this.loser(contact, other);
        this.reject(loser, 'second contact while signing (resting hand)');
        if (loser === contact) break;
      }
    }
    if (!contact.palm && contact.scans < 2) this.reject(contact, 'contact seen in a single scan (noise)');
    if (contact.palm) {
      this.release();
      return;
    }
    if (contact.pending && !this.isSpike(contact, contact.kept[contact.kept.length - 1]!, contact.pending, undefined)) {
      this.keep(contact, contact.pending);
    }
    contact.pending = undefined;
    if (contact.held) {
      contact.held = false;
      for (const point of contact.unshown) this.show(contact, point);
      contact.unshown = [];
    }
    this.done.push({ id: contact.strokeId, points: contact.kept });
    this.sink.stroke({ id: contact.strokeId, points: contact.kept.map((p) => ({ ...p })) });
    this.release();
  }

  /** When the ink contact is gone, a held contact left alone becomes the ink and shows its points. */
  private release(): void {
    const live = [...this.contacts.values()].filter((c) => !c.palm);
    if (live.length !== 1) return;
    const contact = live[0]!;
    if (!contact.held) return;
    contact.held = false;
    for (const point of contact.unshown) this.show(contact, point);
    contact.unshown = [];
  }
}
