// The FT5x06 / FT6x36 capacitive touch controller register map (FocalTech application note
// "FT6x36 register map", shared by FT5x06/FT5x16/FT6206/FT6236/FT6336U): the constants, and
// the decoding of one scan report (TD_STATUS + two touch-point blocks) that both the driver
// and the simulator use, so they cannot disagree on the bit layout.

export const REG = {
  /** 0 = working mode (touch reports), 4 = factory mode. */
  DEVICE_MODE: 0x00,
  GEST_ID: 0x01,
  /** Bits 3:0: number of touch points in this report (0-2; 0x0F after reset = invalid). */
  TD_STATUS: 0x02,
  /** First touch point: XH, XL, YH, YL, WEIGHT, MISC. The second one starts at 0x09. */
  P1: 0x03,
  P2: 0x09,
  /** Touch threshold (ID_G_THGROUP). */
  TH_GROUP: 0x80,
  /** Scan period while touched (ID_G_PERIODACTIVE), in the controller's units (~ms). */
  PERIOD_ACTIVE: 0x88,
  /** Scan period when idle (ID_G_PERIODMONITOR). */
  PERIOD_MONITOR: 0x89,
  LIB_VERSION_H: 0xa1,
  LIB_VERSION_L: 0xa2,
  CHIPID: 0xa3,
  /** ID_G_MODE: 0 = interrupt "polling" (INT held low while touched), 1 = trigger (a pulse per report). */
  G_MODE: 0xa4,
  POWER_MODE: 0xa5,
  FIRMID: 0xa6,
  VENDID: 0xa8,
} as const;

/** Bytes of one scan report read in one I2C transaction: DEVICE_MODE .. P2_MISC. */
export const REPORT_LENGTH = 0x0f;
export const POINT_BLOCK = 6;
export const MAX_POINTS = 2;

/** Event flag, bits 7:6 of Pn_XH. */
export type TouchEvent = 'down' | 'up' | 'contact' | 'none';
const EVENTS: readonly TouchEvent[] = ['down', 'up', 'contact', 'none'];
export const EVENT_CODE: Record<TouchEvent, number> = { down: 0, up: 1, contact: 2, none: 3 };

/** Chip ids (CHIPID, 0xA3) of the family with the contacts each tracks; anything else means a wrong device or a bad bus. */
export const KNOWN_CHIPS: Readonly<Record<number, { name: string; maxPoints: number }>> = {
  0x06: { name: 'FT6206', maxPoints: 2 },
  0x36: { name: 'FT6236', maxPoints: 2 },
  0x64: { name: 'FT6336U', maxPoints: 2 },
  0x55: { name: 'FT5x06', maxPoints: 5 },
  0x08: { name: 'FT5606', maxPoints: 5 },
  0x0a: { name: 'FT5x16', maxPoints: 5 },
  0x0e: { name: 'FT5x46', maxPoints: 5 },
};

export interface RawTouchPoint {
  /** Touch id (0-1 on FT6x36, 0-4 on FT5x06), bits 7:4 of Pn_YH. */
  id: number;
  event: TouchEvent;
  x: number;
  y: number;
  /** Pn_WEIGHT: touch pressure / signal strength, 0 when the firmware does not report it. */
  weight: number;
  /** Bits 7:4 of Pn_MISC: touch area, 0 when not reported. */
  area: number;
}

export interface ScanReport {
  deviceMode: number;
  gesture: number;
  points: RawTouchPoint[];
}

/**
 * Decodes DEVICE_MODE..P2_MISC. Throws on a report no working controller produces (wrong
 * mode, more points than the chip tracks), which the driver treats as a bus fault.
 */
export function decodeReport(bytes: Buffer, maxPoints: number = MAX_POINTS): ScanReport {
  if (bytes.length < REPORT_LENGTH) throw new Error(`short touch report: ${bytes.length} bytes, expected ${REPORT_LENGTH}`);
  const deviceMode = (bytes[REG.DEVICE_MODE]! >> 4) & 0x07;
  const status = bytes[REG.TD_STATUS]! & 0x0f;
  if (deviceMode !== 0) throw new Error(`touch controller not in working mode (DEVICE_MODE=0x${bytes[REG.DEVICE_MODE]!.toString(16)})`);
  // 0x0F is what TD_STATUS reads before the first scan after reset: no touches yet.
  if (status === 0x0f) return { deviceMode, gesture: bytes[REG.GEST_ID]!, points: [] };
  if (status > maxPoints) throw new Error(`garbage touch report: TD_STATUS=${status} points (the controller tracks at most ${maxPoints})`);
  const points: RawTouchPoint[] = [];
  // FT5x06 chips track up to 5 contacts; the report read covers the first two, which is all a
  // signature needs (one pen, and at most one resting hand to reject).
  for (let i = 0; i < Math.min(status, MAX_POINTS); i++) {
    const o = REG.P1 + i * POINT_BLOCK;
    const xh = bytes[o]!;
    const yh = bytes[o + 2]!;
    points.push({
      event: EVENTS[xh >> 6]!,
      x: ((xh & 0x0f) << 8) | bytes[o + 1]!,
      id: yh >> 4,
      y: ((yh & 0x0f) << 8) | bytes[o + 3]!,
      weight: bytes[o + 4]!,
      area: bytes[o + 5]! >> 4,
    });
  }
  return { deviceMode, gesture: bytes[REG.GEST_ID]!, points };
}

/** Encodes touch points into the register bytes P1/P2 (simulator side; inverse of decodeReport). */
export function encodePoint(point: RawTouchPoint): number[] {
  const x = Math.max(0, Math.min(0x0fff, Math.round(point.x)));
  const y = Math.max(0, Math.min(0x0fff, Math.round(point.y)));
  return [
    (EVENT_CODE[point.event] << 6) | (x >> 8),
    x & 0xff,
    ((point.id & 0x0f) << 4) | (y >> 8),
    y & 0xff,
    Math.max(0, Math.min(255, Math.round(point.weight))),
    (Math.max(0, Math.min(15, Math.round(point.area))) << 4) & 0xf0,
  ];
}
