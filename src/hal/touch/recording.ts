// Signature recordings the simulated panel replays: contacts (pen strokes, a resting palm,
// noise) as timed samples in panel units. The replay turns them into the scan reports a
// controller would produce: one report per scan period with every contact down at that time,
// touch ids allocated as the chip does (lowest free), down/contact/up event flags.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { RawTouchPoint } from './ft6236.ts';

const sampleSchema = z.tuple([z.number().finite(), z.number().finite(), z.number().finite().min(0)]);

export const recordingSchema = z
  .object({
    name: z.string().min(1),
    description: z.string().default(''),
    panel: z.object({ width: z.number().int().positive(), height: z.number().int().positive() }).strict(),
    /** Scan rate of the controller the recording was made at. */
    scanHz: z.number().positive().max(1000),
    contacts: z
      .array(
        z
          .object({
            /** pen: ink; palm: a resting hand; noise: a spurious contact. */
            kind: z.enum(['pen', 'palm', 'noise']).default('pen'),
            /** [x, y, t] with t in ms since the recording began, one per scan. */
            points: z.array(sampleSchema).min(1),
            weight: z.number().int().min(0).max(255).default(0),
            area: z.number().int().min(0).max(15).default(0),
          })
          .strict(),
      )
      .min(1),
    /** What a correct driver must make of it. */
    expect: z
      .object({
        strokes: z.number().int().min(0),
        /** Indices of samples (contact, point) that are spikes a driver must drop. */
        spikes: z.array(z.tuple([z.number().int().min(0), z.number().int().min(0)])).default([]),
      })
      .strict(),
  })
  .strict();

export type Recording = z.infer<typeof recordingSchema>;

export function parseRecording(input: unknown, source = 'recording'): Recording {
  const parsed = recordingSchema.safeParse(input);
  if (!parsed.success) throw new Error(`invalid signature recording ${source}: ${z.prettifyError(parsed.error).replace(/\n/g, '; ')}`);
  for (const [i, c] of parsed.data.contacts.entries()) {
    for (let k = 1; k < c.points.length; k++) {
      if (c.points[k]![2] <= c.points[k - 1]![2]) throw new Error(`invalid signature recording ${source}: contact ${i} sample ${k} is not later than the one before`);
    }
  }
  return parsed.data;
}

export function loadRecording(file: string): Recording {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`cannot read signature recording ${file}: ${(err as Error).message}`, { cause: err });
  }
  return parseRecording(json, file);
}

/** One scan of the controller: what it reports at time `t` (ms). An empty list is the all-lifted report. */
export interface ScanFrame {
  t: number;
  points: RawTouchPoint[];
}

/**
 * The scan reports of a recording, one per scan period from the first sample to one scan
 * after the last lift (the controller's "no touch" report). Samples are placed on the scan
 * grid (rounded to the nearest scan); a contact is reported in every scan from its first
 * sample to its last, each time with its latest sample: "down" in its first scan, "up" in its
 * last (a contact seen in one scan only reports "down" and simply disappears, as noise does).
 */
export function scanFrames(recording: Recording): ScanFrame[] {
  const period = 1000 / recording.scanHz;
  const start = Math.min(...recording.contacts.map((c) => c.points[0]![2]));
  const scanOf = (t: number) => Math.round((t - start) / period);
  const spans = recording.contacts.map((c) => ({ contact: c, first: scanOf(c.points[0]![2]), last: scanOf(c.points[c.points.length - 1]![2]), next: 0 }));
  const lastScan = Math.max(...spans.map((s) => s.last)) + 1;
  const ids = new Map<number, number>();
  const frames: ScanFrame[] = [];
  for (let k = 0; k <= lastScan; k++) {
    const points: RawTouchPoint[] = [];
    spans.forEach((span, ci) => {
      if (k < span.first || k > span.last) return;
      const samples = span.contact.points;
      while (span.next + 1 < samples.length && scanOf(samples[span.next + 1]![2]) <= k) span.next++;
      if (k === span.first) {
        const used = new Set(ids.values());
        let id = 0;
        while (used.has(id)) id++;
        ids.set(ci, id);
      }
      const [x, y] = samples[span.next]!;
      const event = k === span.first ? 'down' : k === span.last ? 'up' : 'contact';
      points.push({ id: ids.get(ci)!, event, x, y, weight: span.contact.weight, area: span.contact.area });
      if (k === span.last) ids.delete(ci);
    });
    frames.push({ t: start + k * period, points });
  }
  return frames;
}
