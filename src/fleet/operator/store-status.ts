// `cabine fleet status` with a fleet database: each booth's presence and telemetry (from the
// broker) beside what the store holds of it (enrolled or not, records, codes, last record), so
// an enrolled booth that never reported, or one reporting but not enrolled, shows up.
import type { BoothView } from './client.ts';
import type { FleetStore } from './store-types.ts';

export interface StoredBoothView {
  enrolled: boolean;
  keyId: string | null;
  records: number;
  codes: number;
  lastRecordAt: string | null;
}

export type StatusView = BoothView & { store?: StoredBoothView };

export async function withStoreViews(views: readonly BoothView[], store: FleetStore): Promise<StatusView[]> {
  const enrolled = new Map((await store.booths()).map((b) => [b.id, b]));
  const activity = new Map((await store.boothActivity()).map((a) => [a.booth, a]));
  const ids = new Set([...views.map((v) => v.booth), ...enrolled.keys(), ...activity.keys()]);
  const byBooth = new Map(views.map((v) => [v.booth, v]));
  return [...ids].sort().map((booth): StatusView => {
    const a = activity.get(booth);
    const e = enrolled.get(booth);
    return {
      ...(byBooth.get(booth) ?? { booth }),
      store: { enrolled: e !== undefined, keyId: e?.key_id ?? null, records: a?.records ?? 0, codes: a?.codes ?? 0, lastRecordAt: a?.lastRecordAt ?? null },
    };
  });
}
