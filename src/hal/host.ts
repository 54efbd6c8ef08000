// The host's own readings, for the booth's health gate, the fleet's telemetry and the
// console's status alike: free space of a folder's file system, the SoC temperature.
import { readFileSync, statfsSync } from 'node:fs';

const MB = 1024 * 1024;

/** Free (for this user) and total space of `dir`'s file system in whole MB, rounded down; null if `dir` cannot be read. */
export function diskSpaceMb(dir: string): { freeMb: number; totalMb: number } | null {
  try {
    const fs = statfsSync(dir);
    return { freeMb: Math.floor((fs.bavail * fs.bsize) / MB), totalMb: Math.floor((fs.blocks * fs.bsize) / MB) };
  } catch {
    return null;
  }
}

/** SoC temperature in °C to 0.1 (Linux thermal zone 0); null where there is none. */
export function cpuTemperature(sysfsRoot = '/sys'): number | null {
  try {
    const milli = Number(readFileSync(`${sysfsRoot}/class/thermal/thermal_zone0/temp`, 'utf8').trim());
    return Number.isFinite(milli) ? Math.round(milli / 100) / 10 : null;
  } catch {
    return null;
  }
}
