// Public surface of the fleet (booth side and operator side).
export { createFleet, type Fleet, type FleetDeps } from './fleet.ts';
export type { FleetHooks, ConfigChange, ConfigApplyResult } from './hooks.ts';
export { sessionRecordInput, type RecordInput } from './records.ts';
export type { BoothStatus, TelemetrySnapshot, FleetEvent } from './schemas.ts';
export { topics } from './topics.ts';
