// What the printer has left, from what it reports over IPP: paper per input tray
// (`printer-input-tray`, PWG 5100.13: level and capacity in sheets), and its supplies — the
// ribbon of a dye-sublimation printer, ink, toner — either as `printer-supply` (IPP Everywhere
// printers, ippeveprinter) or as CUPS' `marker-names` / `marker-levels` / `marker-types`
// (a CUPS queue). Waste receptacles are not consumables. Unknown levels (negative values, RFC
// 3805: -2 unknown, -3 "some left") are null, never guessed. Pure: parsing only.

export interface Consumable {
  /** Tray name (media) or supply description / marker name. */
  name: string;
  kind: 'media' | 'supply';
  /** Percent left (0-100), null when the printer does not know. */
  percent: number | null;
  /** Sheets left, when the printer counts them (input trays in sheets). */
  sheets: number | null;
}

/** `key=value;key=value;` octet strings (printer-supply, printer-input-tray). */
function fields(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of text.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) out.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).trim());
  }
  return out;
}

const int = (text: string | undefined): number | null => {
  if (text === undefined || !/^-?\d{1,9}$/.test(text)) return null;
  return Number(text);
};
const clampPercent = (n: number) => Math.max(0, Math.min(100, Math.round(n)));

export interface ConsumableAttributes {
  markerNames: string[];
  markerLevels: number[];
  markerTypes: string[];
  supply: string[];
  supplyDescription: string[];
  inputTray: string[];
}

export function consumablesFrom(a: ConsumableAttributes): Consumable[] {
  const out: Consumable[] = [];
  for (const tray of a.inputTray) {
    const f = fields(tray);
    const level = int(f.get('level'));
    const max = int(f.get('maxcapacity'));
    // A tray whose level is unknown (auto, manual feed) says nothing about paper left.
    if (level === null || level < 0) continue;
    out.push({ name: f.get('name') ?? 'tray', kind: 'media', sheets: level, percent: max !== null && max > 0 ? clampPercent((100 * level) / max) : null });
  }
  const supplies: Consumable[] = [];
  a.supply.forEach((text, i) => {
    const f = fields(text);
    if ((f.get('class') ?? '').toLowerCase() === 'receptaclethatisfilled' || /waste/i.test(f.get('type') ?? '')) return;
    const level = int(f.get('level'));
    const max = int(f.get('maxcapacity'));
    const unit = (f.get('unit') ?? 'percent').toLowerCase();
    let percent: number | null = null;
    if (level !== null && level >= 0) percent = unit === 'percent' ? clampPercent(level) : max !== null && max > 0 ? clampPercent((100 * level) / max) : null;
    const sheets = level !== null && level >= 0 && /^(sheets|impressions)$/.test(unit) ? level : null;
    supplies.push({ name: a.supplyDescription[i] ?? f.get('type') ?? `supply ${i + 1}`, kind: 'supply', percent, sheets });
  });
  // CUPS markers only when the printer gave no printer-supply (a CUPS queue): the same supplies.
  if (supplies.length === 0) {
    a.markerLevels.forEach((level, i) => {
      if (/waste/i.test(a.markerTypes[i] ?? '')) return;
      supplies.push({ name: a.markerNames[i] ?? a.markerTypes[i] ?? `marker ${i + 1}`, kind: 'supply', percent: level >= 0 ? clampPercent(level) : null, sheets: null });
    });
  }
  return [...out, ...supplies];
}

/**
 * Prints the booth can still make: the fewest over paper (sheets left in the trays) and each
 * supply (its sheets, or its percent of `printsPerSupply`, a full ribbon's prints). Null when
 * the printer reports nothing known.
 */
export function printsLeft(consumables: readonly Consumable[], printsPerSupply: number): number | null {
  const media = consumables.filter((c) => c.kind === 'media' && c.sheets !== null);
  const limits: number[] = [];
  if (media.length > 0) limits.push(media.reduce((sum, c) => sum + (c.sheets ?? 0), 0));
  for (const s of consumables) {
    if (s.kind !== 'supply') continue;
    if (s.sheets !== null) limits.push(s.sheets);
    else if (s.percent !== null) limits.push(Math.floor((s.percent / 100) * printsPerSupply));
  }
  return limits.length > 0 ? Math.min(...limits) : null;
}
